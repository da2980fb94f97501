import { isIP } from 'node:net';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/**
 * What README's configuration table says about a variable: `default` is the value used when the
 * variable is unset (absent when that is not one fixed value), `description` its "meaning" column.
 */
type Documentation = {
  readonly description: string;
  readonly default?: string;
};

// Durations are written the way operators think of them: "30s", "5m", "7d".
const duration = (documentation: Documentation) =>
  Type.String({ pattern: '^[1-9][0-9]*(ms|s|m|h|d)$', ...documentation });
const positiveInteger = (documentation: Documentation) => Type.String({ pattern: '^[1-9][0-9]*$', ...documentation });
const count = (documentation: Documentation) => Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$', ...documentation });
const flag = (documentation: Documentation) =>
  Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')], documentation);
const url = (documentation: Documentation) => Type.String({ pattern: '^[a-z][a-z0-9+.-]*://\\S+$', ...documentation });
const text = (minLength: number, documentation: Documentation) => Type.String({ minLength, ...documentation });

/**
 * Every environment variable Gatehouse reads, written once: its rule, its default and what it means.
 * A variable with a default is required here and filled in before validation, so a default obeys
 * its own rule; README's configuration table is checked against this (test/config-docs.test.ts).
 */
export const EnvironmentSchema = Type.Object({
  PORT: positiveInteger({ default: '3000', description: 'HTTP port' }),
  HOST: text(1, {
    default: '127.0.0.1',
    description: 'listen address (`0.0.0.0` to accept outside connections)',
  }),
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: '`production` hides `otp` from responses and refuses unsafe settings (below)',
  }),
  DATABASE_URL: Type.Optional(url({ description: '`postgres://...`; absent: the embedded database in `DATA_DIR`' })),
  DATA_DIR: text(1, {
    default: './data',
    description: 'embedded database files, and the generated `APP_SECRET` outside production',
  }),
  APP_SECRET: Type.Optional(
    text(32, {
      description:
        'at least 32 characters; keys the code MACs and encrypts the signing keys. Required in production; ' +
        'absent elsewhere: generated once and kept in `DATA_DIR`. Keep it stable: changing it invalidates signing keys',
    }),
  ),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/]+(/\\S*)?$',
      description:
        'base of links in emails; never taken from request headers. Required in production; ' +
        'absent elsewhere: `http://localhost:PORT`',
    }),
  ),
  JWT_ISSUER: text(1, { default: 'gatehouse', description: '`iss` of access tokens' }),
  JWT_AUDIENCE: text(1, { default: 'gatehouse', description: '`aud` of access tokens' }),
  ACCESS_TOKEN_TTL: duration({ default: '7d', description: 'access token lifetime' }),
  REFRESH_TOKEN_TTL: duration({ default: '30d', description: 'refresh token lifetime (never beyond its session)' }),
  REFRESH_REUSE_GRACE: duration({
    default: '10s',
    description: 'a rotated refresh token reused after this ends the session',
  }),
  SESSION_TTL: duration({ default: '30d', description: 'absolute session lifetime' }),
  OTP_TTL: duration({ default: '5m', description: 'one-time code lifetime' }),
  PASSWORD_RESET_TTL: duration({ default: '1h', description: 'lifetime of a password-reset link' }),
  OTP_MAX_ATTEMPTS: positiveInteger({ default: '5', description: 'wrong guesses before a code is void' }),
  OTP_RESEND_COOLDOWN: duration({
    default: '30s',
    description:
      'minimum time between two messages for one purpose (sign-up code, sign-in code, reset link...) to one address',
  }),
  OTP_HOURLY_LIMIT: positiveInteger({
    default: '5',
    description: 'messages per address per hour, all purposes together',
  }),
  MAIL_TRANSPORT: Type.Union([Type.Literal('console'), Type.Literal('smtp')], {
    default: 'console',
    description: '`console` prints emails; `smtp` sends them. Must be set explicitly in production',
  }),
  SMTP_URL: Type.Optional(url({ description: 'e.g. `smtps://user:pass@smtp.example.com:465`; required with `smtp`' })),
  MAIL_FROM: text(3, { default: 'Gatehouse <no-reply@localhost>', description: 'sender of every email' }),
  SMS_PROVIDER: Type.Union([Type.Literal('console'), Type.Literal('webhook'), Type.Literal('twilio')], {
    default: 'console',
    description: '`console`, `webhook` or `twilio`. Must be set explicitly in production',
  }),
  SMS_WEBHOOK_URL: Type.Optional(url({ description: 'required with `webhook`' })),
  SMS_WEBHOOK_SECRET: Type.Optional(
    text(16, {
      description: "key of the webhook's `X-Gatehouse-Signature` HMAC, at least 16 characters; absent: `APP_SECRET`",
    }),
  ),
  TWILIO_ACCOUNT_SID: Type.Optional(
    Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'required with `twilio`: `AC` and 32 hex digits' }),
  ),
  TWILIO_AUTH_TOKEN: Type.Optional(text(16, { description: 'required with `twilio`' })),
  TWILIO_FROM_NUMBER: Type.Optional(
    Type.String({
      pattern: '^\\+[1-9][0-9]{6,14}$',
      description: 'required with `twilio`: the sending number, e.g. `+15551234567`',
    }),
  ),
  TWILIO_API_URL: url({
    default: 'https://api.twilio.com',
    description: 'override for a Twilio-compatible gateway',
  }),
  TRUST_PROXY: text(1, {
    default: 'false',
    description:
      '`true`, a hop count, or a comma-separated list of proxy addresses and CIDR ranges: ' +
      'then the client IP comes from `X-Forwarded-For`',
  }),
  GEOIP_DB: Type.Optional(
    text(1, {
      description: 'path of a `.mmdb` file (DB-IP or MaxMind City layout); absent: the bundled DB-IP City Lite',
    }),
  ),
  REDIS_URL: Type.Optional(
    url({
      description:
        'shared store for rate-limit counters (else PostgreSQL with `DATABASE_URL`, memory on the embedded database)',
    }),
  ),
  BOOTSTRAP_SUPER_ADMIN_EMAIL: Type.Optional(
    text(3, { description: 'create a verified SUPER_ADMIN with this email at start-up when none exists' }),
  ),
  BOOTSTRAP_SUPER_ADMIN_PASSWORD: Type.Optional(
    text(1, { description: "that SUPER_ADMIN's password; set both variables or neither" }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: '`fatal` … `trace`, or `silent` (the default under `NODE_ENV=test`)' },
  ),
  LOCKOUT_THRESHOLD: positiveInteger({
    default: '10',
    description: 'consecutive failed password sign-ins per email before it is locked',
  }),
  LOCKOUT_DURATION: duration({
    default: '15m',
    description: 'first lock; each further lockout doubles it, up to 24 h',
  }),
  RATE_LIMIT_PER_IP: positiveInteger({
    default: '60',
    description:
      'requests per window from one client IP to each sensitive endpoint (sign-in, sign-up, codes, reset, 2FA)',
  }),
  RATE_LIMIT_PER_IDENTIFIER: positiveInteger({
    default: '20',
    description: 'requests per window about one email, phone number or MFA challenge',
  }),
  RATE_LIMIT_WINDOW: duration({ default: '1m', description: 'rate-limit window' }),
  METRICS_TOKEN: Type.Optional(
    text(16, {
      description:
        'serve `GET /metrics` (Prometheus text) to `Authorization: Bearer <token>` only; at least 16 characters',
    }),
  ),
  METRICS_PORT: Type.Optional(
    positiveInteger({
      description:
        'serve `/metrics` on this port instead (bound to `HOST`, for a private scrape network; ' +
        '`METRICS_TOKEN` still applies when set); without either variable there is no `/metrics`',
    }),
  ),
  OUTBOX_POLL_INTERVAL: duration({
    default: '1s',
    description: 'how often the email worker looks for due messages',
  }),
  OUTBOX_MAX_ATTEMPTS: positiveInteger({
    default: '8',
    description: 'delivery attempts before a message is marked failed (retries back off from 5 s to 1 h)',
  }),
  MIGRATE_ON_START: flag({ default: 'true', description: 'apply migrations at start-up (`true`/`1` or `false`/`0`)' }),
  ALLOWED_RETURN_ORIGINS: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/,]+(,\\s*https?://[^\\s/,]+)*$',
      description:
        'comma-separated origins (`https://app.example.com`) a hosted page may send the browser back to ' +
        'with `return_to`; absent: only Gatehouse itself',
    }),
  ),
  BRAND_NAME: text(1, { default: 'Gatehouse', description: 'name shown on the hosted pages and in emails' }),
  BRAND_LOGO_URL: Type.Optional(
    Type.String({
      pattern: '^https?://\\S+$',
      description: 'logo shown above the hosted pages and in emails (an https image; its origin is allowed by the CSP)',
    }),
  ),
  BRAND_COLOR: Type.String({
    pattern: '^#[0-9a-fA-F]{6}$',
    default: '#1f5f8b',
    description: 'accent color of buttons and links on the pages and in emails (`#rrggbb`)',
  }),
  WEBAUTHN_RP_ID: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$',
      description:
        "passkeys' relying-party id: a domain that every web origin in `WEBAUTHN_ORIGINS` is on or under; " +
        'absent: the host of `PUBLIC_URL`. Passkeys stay bound to it: change it and they stop working',
    }),
  ),
  WEBAUTHN_RP_NAME: Type.Optional(text(1, { description: 'the name a passkey prompt shows; absent: `BRAND_NAME`' })),
  WEBAUTHN_ORIGINS: Type.Optional(
    Type.String({
      pattern: '^\\S+(,\\s*\\S+)*$',
      description:
        'comma-separated origins passkey responses may come from (`https://app.example.com`, ' +
        '`android:apk-key-hash:...`); absent: the origin of `PUBLIC_URL`',
    }),
  ),
  AUTH_CACHE_SIZE: count({
    default: '50000',
    description:
      'verified access tokens and live sessions kept in memory; dropped on change through PostgreSQL ' +
      '`LISTEN/NOTIFY` (see [Security](docs/security.md)); `0` reads the database on every request',
  }),
});

/** The schema's defaults, taken once from its `default` annotations. */
const environmentDefaults = Value.Default(EnvironmentSchema, {}) as Readonly<Record<string, string>>;

type Environment = Static<typeof EnvironmentSchema>;

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly isProduction: boolean;
  /** Outside production, register/resend responses carry the code (the seed's "dev only" `otp`). */
  readonly exposeOtp: boolean;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Absent outside production: main.ts generates one and keeps it in the data dir. */
  readonly appSecret: string | undefined;
  readonly publicUrl: string;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshReuseGraceSeconds: number;
  readonly sessionTtlSeconds: number;
  readonly otpTtlSeconds: number;
  readonly passwordResetTtlSeconds: number;
  readonly otpMaxAttempts: number;
  readonly otpResendCooldownSeconds: number;
  readonly otpHourlyLimit: number;
  readonly mailTransport: 'console' | 'smtp';
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly smsProvider: 'console' | 'webhook' | 'twilio';
  readonly smsWebhookUrl: string | undefined;
  /** Keys the webhook's HMAC signature; APP_SECRET when absent. */
  readonly smsWebhookSecret: string | undefined;
  readonly twilio:
    | { readonly accountSid: string; readonly authToken: string; readonly fromNumber: string; readonly apiUrl: string }
    | undefined;
  readonly trustProxy: boolean | number | string;
  readonly geoipDb: string | undefined;
  readonly redisUrl: string | undefined;
  readonly bootstrapSuperAdmin: { readonly email: string; readonly password: string } | undefined;
  readonly logLevel: string;
  /** Consecutive failed sign-ins per identifier before it is locked. */
  readonly lockoutThreshold: number;
  /** First lock's length; each further lockout doubles it, up to 24 h. */
  readonly lockoutDurationSeconds: number;
  /** Requests per window to the sensitive public endpoints, per client IP and per identifier. */
  readonly rateLimit: { readonly perIp: number; readonly perIdentifier: number; readonly windowSeconds: number };
  /** /metrics is served only with a bearer token, or only on its own port; neither set means no /metrics. */
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined };
  readonly outboxPollIntervalMs: number;
  readonly outboxMaxAttempts: number;
  readonly migrateOnStart: boolean;
  /**
   * Verified access tokens and live sessions kept in memory (each); 0 reads the
   * database on every request. Entries are dropped on change through
   * PostgreSQL LISTEN/NOTIFY, so revocation still holds on the next request.
   */
  readonly authCacheSize: number;
  /** Origins a hosted page may redirect to (`return_to`), besides Gatehouse's own. */
  readonly allowedReturnOrigins: readonly string[];
  readonly brand: { readonly name: string; readonly logoUrl: string | undefined; readonly color: string };
  readonly webauthn: { readonly rpId: string; readonly rpName: string; readonly origins: readonly string[] };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDurationMs(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new ConfigError(`not a duration: ${text}`);
  return Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
}

const seconds = (text: string) => Math.max(1, Math.round(parseDurationMs(text) / 1000));

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Off, on, a hop count, or a list of trusted proxy addresses and CIDR ranges. */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  if (/^[0-9]+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  const invalid = entries.find((entry) => !isAddressOrRange(entry));
  if (invalid !== undefined)
    throw new ConfigError(`Invalid TRUST_PROXY: "${invalid}" is not an IP address or CIDR range`);
  return entries.join(',');
}

/** The process's own environment: the one place outside tests that reads it. */
export function loadConfigFromProcess(): Config {
  return loadConfig(process.env);
}

/** Reads the environment once; a bad value stops start-up with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const known = Object.fromEntries(
    Object.keys(EnvironmentSchema.properties)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const withDefaults = { ...environmentDefaults, ...known };
  const [firstError] = Value.Errors(EnvironmentSchema, withDefaults);
  if (firstError) {
    const name = firstError.instancePath.replace(/^\//, '') || 'environment';
    throw new ConfigError(`Invalid ${name}: ${firstError.message}`);
  }
  const e = withDefaults as Environment;
  // What the operator set, as distinct from a default: production insists on some choices being explicit.
  const set = known as Partial<Environment>;
  const nodeEnv = e.NODE_ENV;
  const isProduction = nodeEnv === 'production';
  const port = Number(e.PORT);
  if (port > 65535) throw new ConfigError('Invalid PORT: must be at most 65535');

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const config: Config = {
    port,
    host: e.HOST,
    nodeEnv,
    isProduction,
    exposeOtp: !isProduction,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    appSecret: e.APP_SECRET,
    publicUrl,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    accessTokenTtlSeconds: seconds(e.ACCESS_TOKEN_TTL),
    refreshTokenTtlSeconds: seconds(e.REFRESH_TOKEN_TTL),
    refreshReuseGraceSeconds: seconds(e.REFRESH_REUSE_GRACE),
    sessionTtlSeconds: seconds(e.SESSION_TTL),
    otpTtlSeconds: seconds(e.OTP_TTL),
    passwordResetTtlSeconds: seconds(e.PASSWORD_RESET_TTL),
    otpMaxAttempts: Number(e.OTP_MAX_ATTEMPTS),
    otpResendCooldownSeconds: seconds(e.OTP_RESEND_COOLDOWN),
    otpHourlyLimit: Number(e.OTP_HOURLY_LIMIT),
    mailTransport: e.MAIL_TRANSPORT,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    smsProvider: e.SMS_PROVIDER,
    smsWebhookUrl: e.SMS_WEBHOOK_URL,
    smsWebhookSecret: e.SMS_WEBHOOK_SECRET,
    twilio:
      e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN && e.TWILIO_FROM_NUMBER
        ? {
            accountSid: e.TWILIO_ACCOUNT_SID,
            authToken: e.TWILIO_AUTH_TOKEN,
            fromNumber: e.TWILIO_FROM_NUMBER,
            apiUrl: e.TWILIO_API_URL.replace(/\/+$/, ''),
          }
        : undefined,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    geoipDb: e.GEOIP_DB,
    redisUrl: e.REDIS_URL,
    bootstrapSuperAdmin:
      e.BOOTSTRAP_SUPER_ADMIN_EMAIL && e.BOOTSTRAP_SUPER_ADMIN_PASSWORD
        ? { email: e.BOOTSTRAP_SUPER_ADMIN_EMAIL, password: e.BOOTSTRAP_SUPER_ADMIN_PASSWORD }
        : undefined,
    logLevel: set.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : e.LOG_LEVEL),
    lockoutThreshold: Number(e.LOCKOUT_THRESHOLD),
    lockoutDurationSeconds: seconds(e.LOCKOUT_DURATION),
    rateLimit: {
      perIp: Number(e.RATE_LIMIT_PER_IP),
      perIdentifier: Number(e.RATE_LIMIT_PER_IDENTIFIER),
      windowSeconds: seconds(e.RATE_LIMIT_WINDOW),
    },
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT ? Number(e.METRICS_PORT) : undefined },
    outboxPollIntervalMs: parseDurationMs(e.OUTBOX_POLL_INTERVAL),
    outboxMaxAttempts: Number(e.OUTBOX_MAX_ATTEMPTS),
    migrateOnStart: e.MIGRATE_ON_START === 'true' || e.MIGRATE_ON_START === '1',
    authCacheSize: Number(e.AUTH_CACHE_SIZE),
    allowedReturnOrigins: (e.ALLOWED_RETURN_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean)
      .map((origin) => new URL(origin).origin),
    brand: { name: e.BRAND_NAME, logoUrl: e.BRAND_LOGO_URL, color: e.BRAND_COLOR.toLowerCase() },
    webauthn: webauthnSettings(e, publicUrl),
  };
  checkConsistency(config, set);
  return Object.freeze(config);
}

/**
 * Where passkeys are valid. Checked at start-up: a web origin must be the
 * relying-party id or under it, and https (http only on localhost), or every
 * passkey ceremony from it would fail in the browser.
 */
function webauthnSettings(e: Environment, publicUrl: string): Config['webauthn'] {
  const rpId = e.WEBAUTHN_RP_ID ?? new URL(publicUrl).hostname;
  const origins = (e.WEBAUTHN_ORIGINS ?? new URL(publicUrl).origin)
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  // The defaults follow PUBLIC_URL, whose own rules apply; what an operator wrote is checked here.
  const explicit = e.WEBAUTHN_ORIGINS !== undefined || e.WEBAUTHN_RP_ID !== undefined;
  for (const origin of explicit ? origins : []) {
    if (origin.startsWith('android:apk-key-hash:')) continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`Invalid WEBAUTHN_ORIGINS: "${origin}" is not an origin`);
    }
    if (url.origin !== origin)
      throw new ConfigError(`Invalid WEBAUTHN_ORIGINS: "${origin}" is not an origin (no path)`);
    const local = url.hostname === 'localhost';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
      throw new ConfigError(`Invalid WEBAUTHN_ORIGINS: "${origin}" must be https (http only for localhost)`);
    }
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      throw new ConfigError(`Invalid WEBAUTHN_RP_ID: "${rpId}" is not the host of ${origin} nor a parent domain of it`);
    }
  }
  // The hosted pages' own origin is always one, when it is on the relying party's domain.
  const pages = new URL(publicUrl);
  const pagesOnRp = pages.hostname === rpId || pages.hostname.endsWith(`.${rpId}`);
  const all = pagesOnRp && !origins.includes(pages.origin) ? [pages.origin, ...origins] : origins;
  return { rpId, rpName: e.WEBAUTHN_RP_NAME ?? e.BRAND_NAME, origins: all };
}

function checkConsistency(config: Config, set: Partial<Environment>): void {
  if (Boolean(set.BOOTSTRAP_SUPER_ADMIN_EMAIL) !== Boolean(set.BOOTSTRAP_SUPER_ADMIN_PASSWORD)) {
    throw new ConfigError(
      'Invalid BOOTSTRAP_SUPER_ADMIN_PASSWORD: set both BOOTSTRAP_SUPER_ADMIN_EMAIL and _PASSWORD, or neither',
    );
  }
  if (config.mailTransport === 'smtp' && !config.smtpUrl) {
    throw new ConfigError('Invalid SMTP_URL: required when MAIL_TRANSPORT=smtp');
  }
  if (config.smsProvider === 'webhook' && !config.smsWebhookUrl) {
    throw new ConfigError('Invalid SMS_WEBHOOK_URL: required when SMS_PROVIDER=webhook');
  }
  if (config.smsProvider === 'twilio' && !config.twilio) {
    throw new ConfigError(
      'Invalid TWILIO_ACCOUNT_SID: SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM_NUMBER',
    );
  }
  if (!config.isProduction) return;
  // Production refuses settings that are only safe on a developer's machine.
  if (!set.APP_SECRET) throw new ConfigError('Invalid APP_SECRET: required in production (at least 32 characters)');
  if (!set.PUBLIC_URL)
    throw new ConfigError('Invalid PUBLIC_URL: required in production (links in emails are built from it)');
  const insecure = (address: string) => {
    const url = new URL(address);
    return url.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  };
  // Browser-session cookies and passkeys need a secure origin.
  if (insecure(config.publicUrl)) {
    throw new ConfigError('Invalid PUBLIC_URL: must be https in production (http only for localhost)');
  }
  const plain = config.allowedReturnOrigins.find(insecure);
  if (plain) throw new ConfigError(`Invalid ALLOWED_RETURN_ORIGINS: ${plain} must be https in production`);
  if (!set.MAIL_TRANSPORT) {
    throw new ConfigError(
      'Invalid MAIL_TRANSPORT: set it explicitly in production (smtp, or console if you really mean it)',
    );
  }
  if (!set.SMS_PROVIDER) {
    throw new ConfigError('Invalid SMS_PROVIDER: set it explicitly in production (webhook, twilio, or console)');
  }
}
