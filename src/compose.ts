import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/database.js';
import { createRateLimitStore } from './http/rate-limit.js';
import { createAccessTokens } from './platform/access-tokens.js';
import { type Clock, systemClock } from './platform/clock.js';
import { createGeoIp } from './platform/geoip.js';
import { createConsoleTransport, createSmtpTransport, type EmailTransport } from './platform/mail-transport.js';
import { createMetrics, registerStateGauges } from './platform/metrics.js';
import { createOutbox } from './platform/outbox.js';
import { type Argon2Parameters, createPasswordHasher, createPasswordPolicy } from './platform/password.js';
import { createSecrets } from './platform/secrets.js';
import { loadSigningKeys } from './platform/signing-keys.js';
import {
  createConsoleSmsTransport,
  createTwilioSmsTransport,
  createWebhookSmsTransport,
  type SmsTransport,
} from './platform/sms-transport.js';

function createSmsTransport(config: Config, appSecret: string): SmsTransport {
  if (config.smsProvider === 'webhook' && config.smsWebhookUrl) {
    return createWebhookSmsTransport(config.smsWebhookUrl, config.smsWebhookSecret ?? appSecret);
  }
  if (config.smsProvider === 'twilio' && config.twilio) return createTwilioSmsTransport(config.twilio);
  return createConsoleSmsTransport();
}

export interface PlatformOverrides {
  clock?: Clock;
  argon2?: Argon2Parameters;
  emailTransport?: EmailTransport;
  smsTransport?: SmsTransport;
}

/**
 * Builds the adapters to the outside world once, for the server, the CLI and
 * the tests alike; the tests swap only what they must (clock, transports,
 * cheaper argon2 parameters).
 */
export async function composePlatform(
  config: Config,
  database: DatabaseHandle,
  appSecret: string,
  logger: Logger,
  overrides: PlatformOverrides = {},
) {
  const clock = overrides.clock ?? systemClock;
  const secrets = createSecrets(appSecret);
  const keys = await loadSigningKeys(database.db, secrets, clock);
  const accessTokens = createAccessTokens(keys, {
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
    reloadKeys: () => loadSigningKeys(database.db, secrets, clock),
    now: () => clock.now(),
    verifiedCacheSize: config.authCacheSize,
  });
  const emailTransport =
    overrides.emailTransport ??
    (config.mailTransport === 'smtp' && config.smtpUrl
      ? createSmtpTransport(config.smtpUrl, config.mailFrom)
      : createConsoleTransport());
  const smsTransport = overrides.smsTransport ?? createSmsTransport(config, appSecret);
  const metrics = createMetrics();
  const outbox = createOutbox({
    db: database.db,
    transports: { email: emailTransport, sms: smsTransport },
    clock,
    logger,
    pollIntervalMs: config.outboxPollIntervalMs,
    maxAttempts: config.outboxMaxAttempts,
    metrics,
  });
  registerStateGauges(metrics, { outboxBacklog: () => outbox.backlog(), poolStats: database.poolStats });
  const rateLimits = await createRateLimitStore(config, database);
  const hasher = await createPasswordHasher(overrides.argon2);
  return {
    config,
    database,
    db: database.db,
    logger,
    clock,
    secrets,
    accessTokens,
    outbox,
    emailTransport,
    metrics,
    geoIp: createGeoIp(config.geoipDb),
    rateLimits,
    hasher,
    passwordPolicy: createPasswordPolicy(),
    /**
     * Stops what the platform started: the outbox (after the message in
     * flight), the mail connection, the rate-limit store, the hash workers.
     * The database belongs to whoever opened it (several instances in a test
     * may share one handle) and is closed by them.
     */
    async close(): Promise<void> {
      await outbox.stop();
      emailTransport.close?.();
      await rateLimits.close();
      await hasher.close();
    },
  };
}

export type Platform = Awaited<ReturnType<typeof composePlatform>>;
