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
  GOOGLE_CLIENT_ID: Type.Optional(
    text(1, { description: '"Sign in with Google" ([setup](docs/federation/google.md)), with `GOOGLE_CLIENT_SECRET`' }),
  ),
  GOOGLE_CLIENT_SECRET: Type.Optional(text(1, { description: "the Google client's secret" })),
  MICROSOFT_CLIENT_ID: Type.Optional(
    text(1, {
      description: '"Sign in with Microsoft" ([setup](docs/federation/microsoft.md)), with `MICROSOFT_CLIENT_SECRET`',
    }),
  ),
  MICROSOFT_CLIENT_SECRET: Type.Optional(text(1, { description: "the Microsoft client's secret" })),
  MICROSOFT_TENANT: Type.String({
    pattern: '^[A-Za-z0-9.-]+$',
    default: 'common',
    description: 'the Entra tenant: `common`, `organizations`, `consumers`, or a tenant id or domain',
  }),
  APPLE_CLIENT_ID: Type.Optional(
    text(1, {
      description:
        '"Sign in with Apple" ([setup](docs/federation/apple.md)): the Services ID, with `APPLE_TEAM_ID`, ' +
        '`APPLE_KEY_ID` and `APPLE_PRIVATE_KEY`',
    }),
  ),
  APPLE_TEAM_ID: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'the Apple developer team id' })),
  APPLE_KEY_ID: Type.Optional(
    Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'the id of the Sign in with Apple key' }),
  ),
  APPLE_PRIVATE_KEY: Type.Optional(
    text(1, { description: "the key's `.p8` contents (PEM; `\\n` for line breaks is accepted)" }),
  ),
  GITHUB_CLIENT_ID: Type.Optional(
    text(1, { description: '"Sign in with GitHub" ([setup](docs/federation/github.md)), with `GITHUB_CLIENT_SECRET`' }),
  ),
  GITHUB_CLIENT_SECRET: Type.Optional(text(1, { description: "the GitHub OAuth app's secret" })),
  GITHUB_URL: url({ default: 'https://github.com', description: 'GitHub (Enterprise Server: its address)' }),
  GITHUB_API_URL: url({
    default: 'https://api.github.com',
    description: "GitHub's API (Enterprise Server: `https://HOST/api/v3`)",
  }),
  AUTH_CACHE_SIZE: count({
    default: '50000',
    description:
      'verified access tokens and live sessions kept in memory; dropped on change through PostgreSQL ' +
      '`LISTEN/NOTIFY` (see [Security](docs/security.md)); `0` reads the database on every request',
  }),
});

/** The schema's defaults, taken once from its `default` annotations. */
export const environmentDefaults = Value.Default(EnvironmentSchema, {}) as Readonly<Record<string, string>>;

export type Environment = Static<typeof EnvironmentSchema>;
