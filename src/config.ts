import { isIP } from 'node:net';
import { Value } from 'typebox/value';
import { type ProviderSettings, providersFromEnvironment } from './config-providers.js';
import { type Environment, EnvironmentSchema, environmentDefaults } from './config-schema.js';
import { isLoopbackHost } from './core/loopback.js';

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
  /** Sign-in providers of the environment (`GOOGLE_*`, ..., `OIDC_<NAME>_*`); more may be added as data. */
  readonly identityProviders: readonly ProviderSettings[];
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
    identityProviders: identityProviders(e, env),
  };
  checkConsistency(config, set);
  return Object.freeze(config);
}

/** The environment's sign-in providers; a half-configured one stops start-up, naming what is missing. */
function identityProviders(e: Environment, env: Record<string, string | undefined>): readonly ProviderSettings[] {
  try {
    return providersFromEnvironment(e, env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
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
    return url.protocol !== 'https:' && !isLoopbackHost(url.hostname);
  };
  // Browser-session cookies and passkeys need a secure origin.
  if (insecure(config.publicUrl)) {
    throw new ConfigError('Invalid PUBLIC_URL: must be https in production (http only for localhost)');
  }
  const plain = config.allowedReturnOrigins.find(insecure);
  const plainIssuer = config.identityProviders.find(
    (provider) => insecure(provider.issuer) || (provider.apiUrl !== undefined && insecure(provider.apiUrl)),
  );
  if (plainIssuer)
    throw new ConfigError(`Invalid issuer of ${plainIssuer.id}: ${plainIssuer.issuer} must be https in production`);
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
