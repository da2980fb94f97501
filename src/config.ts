import { isIP } from 'node:net';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

// Durations are written the way operators think of them: "30s", "5m", "7d".
const duration = Type.String({ pattern: '^[1-9][0-9]*(ms|s|m|h|d)$' });
const positiveInteger = Type.String({ pattern: '^[1-9][0-9]*$' });
const count = Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' });
const flag = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);
const url = Type.String({ pattern: '^[a-z][a-z0-9+.-]*://\\S+$' });

/** Every environment variable Gatehouse reads, in one place. */
const EnvironmentSchema = Type.Object({
  PORT: Type.Optional(positiveInteger),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  DATABASE_URL: Type.Optional(url),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  APP_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+(/\\S*)?$' })),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  ACCESS_TOKEN_TTL: Type.Optional(duration),
  REFRESH_TOKEN_TTL: Type.Optional(duration),
  REFRESH_REUSE_GRACE: Type.Optional(duration),
  SESSION_TTL: Type.Optional(duration),
  OTP_TTL: Type.Optional(duration),
  PASSWORD_RESET_TTL: Type.Optional(duration),
  OTP_MAX_ATTEMPTS: Type.Optional(positiveInteger),
  OTP_RESEND_COOLDOWN: Type.Optional(duration),
  OTP_HOURLY_LIMIT: Type.Optional(positiveInteger),
  MAIL_TRANSPORT: Type.Optional(Type.Union([Type.Literal('console'), Type.Literal('smtp')])),
  SMTP_URL: Type.Optional(url),
  MAIL_FROM: Type.Optional(Type.String({ minLength: 3 })),
  SMS_PROVIDER: Type.Optional(Type.Union([Type.Literal('console'), Type.Literal('webhook'), Type.Literal('twilio')])),
  SMS_WEBHOOK_URL: Type.Optional(url),
  SMS_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  TWILIO_ACCOUNT_SID: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$' })),
  TWILIO_AUTH_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  TWILIO_FROM_NUMBER: Type.Optional(Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' })),
  TWILIO_API_URL: Type.Optional(url),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  GEOIP_DB: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_URL: Type.Optional(url),
  BOOTSTRAP_SUPER_ADMIN_EMAIL: Type.Optional(Type.String({ minLength: 3 })),
  BOOTSTRAP_SUPER_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Optional(
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level))),
  ),
  LOCKOUT_THRESHOLD: Type.Optional(positiveInteger),
  LOCKOUT_DURATION: Type.Optional(duration),
  RATE_LIMIT_PER_IP: Type.Optional(positiveInteger),
  RATE_LIMIT_PER_IDENTIFIER: Type.Optional(positiveInteger),
  RATE_LIMIT_WINDOW: Type.Optional(duration),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  METRICS_PORT: Type.Optional(positiveInteger),
  OUTBOX_POLL_INTERVAL: Type.Optional(duration),
  OUTBOX_MAX_ATTEMPTS: Type.Optional(positiveInteger),
  MIGRATE_ON_START: Type.Optional(flag),
  AUTH_CACHE_SIZE: Type.Optional(count),
});

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
  const [firstError] = Value.Errors(EnvironmentSchema, known);
  if (firstError) {
    const name = firstError.instancePath.replace(/^\//, '') || 'environment';
    throw new ConfigError(`Invalid ${name}: ${firstError.message}`);
  }
  const e = known as Environment;
  const nodeEnv = e.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';
  const port = Number(e.PORT ?? '3000');
  if (port > 65535) throw new ConfigError('Invalid PORT: must be at most 65535');

  const config: Config = {
    port,
    host: e.HOST ?? '127.0.0.1',
    nodeEnv,
    isProduction,
    exposeOtp: !isProduction,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR ?? './data',
    appSecret: e.APP_SECRET,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    jwtIssuer: e.JWT_ISSUER ?? 'gatehouse',
    jwtAudience: e.JWT_AUDIENCE ?? 'gatehouse',
    accessTokenTtlSeconds: seconds(e.ACCESS_TOKEN_TTL ?? '7d'),
    refreshTokenTtlSeconds: seconds(e.REFRESH_TOKEN_TTL ?? '30d'),
    refreshReuseGraceSeconds: seconds(e.REFRESH_REUSE_GRACE ?? '10s'),
    sessionTtlSeconds: seconds(e.SESSION_TTL ?? '30d'),
    otpTtlSeconds: seconds(e.OTP_TTL ?? '5m'),
    passwordResetTtlSeconds: seconds(e.PASSWORD_RESET_TTL ?? '1h'),
    otpMaxAttempts: Number(e.OTP_MAX_ATTEMPTS ?? '5'),
    otpResendCooldownSeconds: seconds(e.OTP_RESEND_COOLDOWN ?? '30s'),
    otpHourlyLimit: Number(e.OTP_HOURLY_LIMIT ?? '5'),
    mailTransport: e.MAIL_TRANSPORT ?? 'console',
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? 'Gatehouse <no-reply@localhost>',
    smsProvider: e.SMS_PROVIDER ?? 'console',
    smsWebhookUrl: e.SMS_WEBHOOK_URL,
    smsWebhookSecret: e.SMS_WEBHOOK_SECRET,
    twilio:
      e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN && e.TWILIO_FROM_NUMBER
        ? {
            accountSid: e.TWILIO_ACCOUNT_SID,
            authToken: e.TWILIO_AUTH_TOKEN,
            fromNumber: e.TWILIO_FROM_NUMBER,
            apiUrl: (e.TWILIO_API_URL ?? 'https://api.twilio.com').replace(/\/+$/, ''),
          }
        : undefined,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    geoipDb: e.GEOIP_DB,
    redisUrl: e.REDIS_URL,
    bootstrapSuperAdmin:
      e.BOOTSTRAP_SUPER_ADMIN_EMAIL && e.BOOTSTRAP_SUPER_ADMIN_PASSWORD
        ? { email: e.BOOTSTRAP_SUPER_ADMIN_EMAIL, password: e.BOOTSTRAP_SUPER_ADMIN_PASSWORD }
        : undefined,
    logLevel: e.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    lockoutThreshold: Number(e.LOCKOUT_THRESHOLD ?? '10'),
    lockoutDurationSeconds: seconds(e.LOCKOUT_DURATION ?? '15m'),
    rateLimit: {
      perIp: Number(e.RATE_LIMIT_PER_IP ?? '60'),
      perIdentifier: Number(e.RATE_LIMIT_PER_IDENTIFIER ?? '20'),
      windowSeconds: seconds(e.RATE_LIMIT_WINDOW ?? '1m'),
    },
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT ? Number(e.METRICS_PORT) : undefined },
    outboxPollIntervalMs: parseDurationMs(e.OUTBOX_POLL_INTERVAL ?? '1s'),
    outboxMaxAttempts: Number(e.OUTBOX_MAX_ATTEMPTS ?? '8'),
    migrateOnStart: (e.MIGRATE_ON_START ?? 'true') === 'true' || e.MIGRATE_ON_START === '1',
    authCacheSize: Number(e.AUTH_CACHE_SIZE ?? '50000'),
  };
  checkConsistency(config, e);
  return Object.freeze(config);
}

function checkConsistency(config: Config, e: Environment): void {
  if (Boolean(e.BOOTSTRAP_SUPER_ADMIN_EMAIL) !== Boolean(e.BOOTSTRAP_SUPER_ADMIN_PASSWORD)) {
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
  if (!e.APP_SECRET) throw new ConfigError('Invalid APP_SECRET: required in production (at least 32 characters)');
  if (!e.PUBLIC_URL)
    throw new ConfigError('Invalid PUBLIC_URL: required in production (links in emails are built from it)');
  if (!e.MAIL_TRANSPORT) {
    throw new ConfigError(
      'Invalid MAIL_TRANSPORT: set it explicitly in production (smtp, or console if you really mean it)',
    );
  }
  if (!e.SMS_PROVIDER) {
    throw new ConfigError('Invalid SMS_PROVIDER: set it explicitly in production (webhook, twilio, or console)');
  }
}
