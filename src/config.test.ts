import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const day = 86_400;

/** Everything production insists on, so each test can take one piece away. */
const production = {
  NODE_ENV: 'production',
  APP_SECRET: 'a-production-secret-of-at-least-32-characters',
  PUBLIC_URL: 'https://auth.example.com',
  MAIL_TRANSPORT: 'smtp',
  SMTP_URL: 'smtp://mail.example.com:587',
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: 'https://sms.example.com/send',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('starts on 127.0.0.1:3000 with the seed lifetimes and the embedded database', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      nodeEnv: 'development',
      isProduction: false,
      exposeOtp: true,
      databaseUrl: undefined,
      dataDir: './data',
      publicUrl: 'http://localhost:3000',
      accessTokenTtlSeconds: 7 * day,
      refreshTokenTtlSeconds: 30 * day,
      sessionTtlSeconds: 30 * day,
      otpTtlSeconds: 5 * 60,
      otpMaxAttempts: 5,
      mailTransport: 'console',
      smsProvider: 'console',
      trustProxy: false,
      bootstrapSuperAdmin: undefined,
    });
    expect(config.accessTokenTtlSeconds).toBe(604_800);
  });

  it('takes every other default from the schema', () => {
    expect(loadConfig({})).toMatchObject({
      appSecret: undefined,
      jwtIssuer: 'gatehouse',
      jwtAudience: 'gatehouse',
      refreshReuseGraceSeconds: 10,
      passwordResetTtlSeconds: 60 * 60,
      otpResendCooldownSeconds: 30,
      otpHourlyLimit: 5,
      smtpUrl: undefined,
      mailFrom: 'Gatehouse <no-reply@localhost>',
      smsWebhookUrl: undefined,
      smsWebhookSecret: undefined,
      twilio: undefined,
      geoipDb: undefined,
      redisUrl: undefined,
      logLevel: 'info',
      lockoutThreshold: 10,
      lockoutDurationSeconds: 15 * 60,
      rateLimit: { perIp: 60, perIdentifier: 20, windowSeconds: 60 },
      metrics: { token: undefined, port: undefined },
      outboxPollIntervalMs: 1000,
      outboxMaxAttempts: 8,
      migrateOnStart: true,
      authCacheSize: 50_000,
    });
  });

  it('logs nothing under NODE_ENV=test unless LOG_LEVEL asks for it', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).logLevel).toBe('silent');
    expect(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it.each([
    ['false', false],
    ['0', false],
    ['true', true],
    ['1', true],
  ])('MIGRATE_ON_START=%s migrates at start-up: %s', (value, expected) => {
    expect(loadConfig({ MIGRATE_ON_START: value }).migrateOnStart).toBe(expected);
  });

  it('sends SMS through Twilio itself unless TWILIO_API_URL names another gateway', () => {
    const twilio = {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'a-twilio-auth-token',
      TWILIO_FROM_NUMBER: '+15551234567',
    };
    expect(loadConfig(twilio).twilio?.apiUrl).toBe('https://api.twilio.com');
    expect(loadConfig({ ...twilio, TWILIO_API_URL: 'https://sms.example.com/' }).twilio?.apiUrl).toBe(
      'https://sms.example.com',
    );
  });

  it('treats empty variables as unset and returns a frozen object', () => {
    const config = loadConfig({ PORT: '', ACCESS_TOKEN_TTL: '' });
    expect(config.port).toBe(3000);
    expect(config.accessTokenTtlSeconds).toBe(7 * day);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).port).toBe(3000);
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['2h', 7200],
    ['7d', 7 * day],
  ])('%s is %i seconds', (text, expected) => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: text, REFRESH_TOKEN_TTL: text, SESSION_TTL: text, OTP_TTL: text });
    expect(config.accessTokenTtlSeconds).toBe(expected);
    expect(config.refreshTokenTtlSeconds).toBe(expected);
    expect(config.sessionTtlSeconds).toBe(expected);
    expect(config.otpTtlSeconds).toBe(expected);
  });

  it('reads the other settings operators commonly change', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      OTP_MAX_ATTEMPTS: '3',
      PUBLIC_URL: 'https://auth.example.com/',
      DATABASE_URL: 'postgres://gatehouse@db:5432/gatehouse',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      otpMaxAttempts: 3,
      publicUrl: 'https://auth.example.com',
      databaseUrl: 'postgres://gatehouse@db:5432/gatehouse',
    });
  });
});

describe('bad values stop start-up with a message naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['ACCESS_TOKEN_TTL', '7 days'],
    ['OTP_TTL', '5'],
    ['OTP_MAX_ATTEMPTS', '0'],
    ['MAIL_TRANSPORT', 'pigeon'],
    ['SMS_PROVIDER', 'carrier-pigeon'],
    ['NODE_ENV', 'staging'],
    ['APP_SECRET', 'too-short'],
    ['PUBLIC_URL', 'auth.example.com'],
    ['DATABASE_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
  ])('%s=%s', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });
});

describe('production', () => {
  it('accepts a complete configuration and never exposes one-time codes', () => {
    const config = loadConfig(production);
    expect(config).toMatchObject({
      isProduction: true,
      exposeOtp: false,
      mailTransport: 'smtp',
      smtpUrl: 'smtp://mail.example.com:587',
      publicUrl: 'https://auth.example.com',
      appSecret: production.APP_SECRET,
    });
  });

  it.each(['APP_SECRET', 'PUBLIC_URL', 'MAIL_TRANSPORT', 'SMS_PROVIDER'])('refuses to start without %s', (name) => {
    expect(configError({ ...production, [name]: undefined }).message).toContain(name);
  });

  it('refuses an http PUBLIC_URL other than localhost: browser sessions need https', () => {
    expect(configError({ ...production, PUBLIC_URL: 'http://auth.example.com' }).message).toContain('PUBLIC_URL');
    expect(loadConfig({ ...production, PUBLIC_URL: 'http://localhost:3000' }).publicUrl).toBe('http://localhost:3000');
  });

  it('accepts the console transports only when asked for explicitly', () => {
    const config = loadConfig({ ...production, MAIL_TRANSPORT: 'console', SMS_PROVIDER: 'console' });
    expect(config).toMatchObject({ mailTransport: 'console', smsProvider: 'console', exposeOtp: false });
  });
});

describe('the hosted pages', () => {
  it('reads the allowed return origins as origins, and the brand', () => {
    const config = loadConfig({
      ALLOWED_RETURN_ORIGINS: 'https://app.example.com, http://localhost:5173',
      BRAND_NAME: 'Acme',
      BRAND_COLOR: '#AA3300',
      BRAND_LOGO_URL: 'https://cdn.example.com/logo.svg',
    });
    expect(config.allowedReturnOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.brand).toEqual({ name: 'Acme', color: '#aa3300', logoUrl: 'https://cdn.example.com/logo.svg' });
  });

  it.each([
    ['ALLOWED_RETURN_ORIGINS', 'app.example.com'],
    ['ALLOWED_RETURN_ORIGINS', 'https://app.example.com/path'],
    ['BRAND_COLOR', 'red'],
    ['BRAND_LOGO_URL', 'javascript:alert(1)'],
  ])('refuses %s=%s', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });
});

describe('passkeys (WebAuthn)', () => {
  it('follows PUBLIC_URL and the brand by default', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://id.example.com', BRAND_NAME: 'Acme' });
    expect(config.webauthn).toEqual({ rpId: 'id.example.com', rpName: 'Acme', origins: ['https://id.example.com'] });
  });

  it('accepts a parent domain as relying party for several origins, and app origins', () => {
    const config = loadConfig({
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_ORIGINS: 'https://id.example.com, https://app.example.com, android:apk-key-hash:abc',
    });
    expect(config.webauthn.origins).toEqual([
      'https://id.example.com',
      'https://app.example.com',
      'android:apk-key-hash:abc',
    ]);
  });

  it.each([
    [{ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://id.other.org' }, 'WEBAUTHN_RP_ID'],
    [{ WEBAUTHN_ORIGINS: 'http://id.example.com' }, 'WEBAUTHN_ORIGINS'],
    [{ WEBAUTHN_ORIGINS: 'https://id.example.com/path' }, 'WEBAUTHN_ORIGINS'],
    [{ WEBAUTHN_RP_ID: 'https://example.com' }, 'WEBAUTHN_RP_ID'],
  ])('refuses %o at start-up, naming %s', (env, name) => {
    expect(configError(env).message).toContain(name);
  });
});

describe('settings that need each other', () => {
  it('MAIL_TRANSPORT=smtp needs SMTP_URL', () => {
    expect(configError({ MAIL_TRANSPORT: 'smtp' }).message).toContain('SMTP_URL');
    expect(loadConfig({ MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://127.0.0.1:2525' }).smtpUrl).toBe(
      'smtp://127.0.0.1:2525',
    );
  });

  it('SMS_PROVIDER=webhook needs SMS_WEBHOOK_URL', () => {
    expect(configError({ SMS_PROVIDER: 'webhook' }).message).toContain('SMS_WEBHOOK_URL');
  });

  it('the bootstrap super admin email and password come together', () => {
    expect(configError({ BOOTSTRAP_SUPER_ADMIN_EMAIL: 'admin@example.com' }).message).toContain(
      'BOOTSTRAP_SUPER_ADMIN',
    );
    expect(configError({ BOOTSTRAP_SUPER_ADMIN_PASSWORD: 'a long unusual passphrase' }).message).toContain(
      'BOOTSTRAP_SUPER_ADMIN',
    );
    const config = loadConfig({
      BOOTSTRAP_SUPER_ADMIN_EMAIL: 'admin@example.com',
      BOOTSTRAP_SUPER_ADMIN_PASSWORD: 'a long unusual passphrase',
    });
    expect(config.bootstrapSuperAdmin).toEqual({ email: 'admin@example.com', password: 'a long unusual passphrase' });
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['true', true],
    ['1', true],
    ['10.0.0.1', '10.0.0.1'],
    ['10.0.0.0/8,192.168.1.1', '10.0.0.0/8,192.168.1.1'],
  ])('%s -> %s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  it('a bare number is a hop count, as Fastify reads it, not the IPv4 shorthand 0.0.0.2', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });

  it('an address list that is not addresses stops start-up naming TRUST_PROXY', () => {
    // Otherwise Fastify throws "invalid IP address" from buildApp, after the database is open.
    expect(configError({ TRUST_PROXY: 'loadbalancer' }).message).toContain('TRUST_PROXY');
  });
});

describe('sign-in providers', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\\nMIGH...\\n-----END PRIVATE KEY-----';

  it('reads the presets, with GitHub Enterprise and Microsoft tenant overrides', () => {
    const { identityProviders } = loadConfig({
      GOOGLE_CLIENT_ID: 'g-id',
      GOOGLE_CLIENT_SECRET: 'g-secret',
      MICROSOFT_CLIENT_ID: 'm-id',
      MICROSOFT_CLIENT_SECRET: 'm-secret',
      MICROSOFT_TENANT: 'contoso.onmicrosoft.com',
      GITHUB_CLIENT_ID: 'gh-id',
      GITHUB_CLIENT_SECRET: 'gh-secret',
      GITHUB_URL: 'https://github.example.com/',
      GITHUB_API_URL: 'https://github.example.com/api/v3',
      APPLE_CLIENT_ID: 'com.example.web',
      APPLE_TEAM_ID: 'ABCDE12345',
      APPLE_KEY_ID: 'KEY1234567',
      APPLE_PRIVATE_KEY: pem,
    });
    expect(identityProviders.map((provider) => [provider.id, provider.issuer])).toEqual([
      ['google', 'https://accounts.google.com'],
      ['microsoft', 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0'],
      ['apple', 'https://appleid.apple.com'],
      ['github', 'https://github.example.com'],
    ]);
    expect(identityProviders.find((provider) => provider.id === 'apple')?.apple?.privateKey).toContain('\nMIGH...\n');
    expect(identityProviders.find((provider) => provider.id === 'github')?.apiUrl).toBe(
      'https://github.example.com/api/v3',
    );
  });

  it('reads any OpenID issuer from OIDC_<NAME>_*, its id the name lower-cased', () => {
    const [acme] = loadConfig({
      OIDC_ACME_ISSUER: 'https://sso.acme.example/',
      OIDC_ACME_CLIENT_ID: 'id',
      OIDC_ACME_CLIENT_SECRET: 'secret',
      OIDC_ACME_SCOPES: 'openid email groups',
    }).identityProviders;
    expect(acme).toMatchObject({
      id: 'acme',
      name: 'Acme',
      issuer: 'https://sso.acme.example',
      scopes: ['openid', 'email', 'groups'],
    });
  });

  it('stops start-up on a half-configured provider, naming the missing variable', () => {
    expect(configError({ GOOGLE_CLIENT_ID: 'g-id' }).message).toBe(
      'Invalid GOOGLE_CLIENT_SECRET: required when GOOGLE_CLIENT_ID is set',
    );
    expect(configError({ APPLE_CLIENT_ID: 'x', APPLE_TEAM_ID: 'ABCDE12345' }).message).toContain('APPLE_KEY_ID');
    expect(configError({ OIDC_ACME_ISSUER: 'https://sso.acme.example' }).message).toContain('OIDC_ACME_CLIENT_ID');
    expect(configError({ OIDC_ACME_CLIENT_SECRET: 'secret' }).message).toContain('OIDC_ACME_ISSUER');
  });

  it('refuses names it would misread, presets, reserved ids and scopes without openid', () => {
    const acme = { OIDC_X_CLIENT_ID: 'id', OIDC_X_CLIENT_SECRET: 'secret' };
    expect(configError({ OIDC_MY_IDP_ISSUER: 'https://idp.example' }).message).toContain('OIDC_MY_IDP_ISSUER');
    expect(
      configError({
        OIDC_GOOGLE_ISSUER: 'https://a.example',
        OIDC_GOOGLE_CLIENT_ID: 'i',
        OIDC_GOOGLE_CLIENT_SECRET: 's',
      }).message,
    ).toContain('preset');
    expect(
      configError({
        OIDC_HANDOFF_ISSUER: 'https://a.example',
        OIDC_HANDOFF_CLIENT_ID: 'i',
        OIDC_HANDOFF_CLIENT_SECRET: 's',
      }).message,
    ).toContain('reserved');
    expect(configError({ ...acme, OIDC_X_ISSUER: 'https://x.example', OIDC_X_SCOPES: 'email' }).message).toContain(
      'OIDC_X_SCOPES',
    );
    expect(configError({ ...acme, OIDC_X_ISSUER: 'not a url' }).message).toContain('OIDC_X_ISSUER');
  });

  it('wants https issuers in production', () => {
    expect(
      configError({
        ...production,
        OIDC_X_ISSUER: 'http://idp.example',
        OIDC_X_CLIENT_ID: 'i',
        OIDC_X_CLIENT_SECRET: 's',
      }).message,
    ).toContain('must be https');
    expect(
      configError({
        ...production,
        GITHUB_CLIENT_ID: 'i',
        GITHUB_CLIENT_SECRET: 's',
        GITHUB_API_URL: 'http://gh.example/api',
      }).message,
    ).toContain('must be https');
  });
});
