import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterDrizzle,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { rateLimits } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { Secrets } from '../platform/secrets.js';

/** A route opts in by naming its group; aliases share a group, so they share a budget. */
export interface RateLimitRule {
  group: string;
  /** Body fields that name who the request is about; the first one present counts. */
  identifiedBy?: Array<'email' | 'phoneNumber' | 'mfaToken'>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: RateLimitRule;
  }
}

export interface RateLimitStore {
  kind: 'memory' | 'postgres' | 'redis';
  perIp: RateLimiterAbstract;
  perIdentifier: RateLimiterAbstract;
  close(): Promise<void>;
}

/**
 * Counters live where every instance sees them: Redis when REDIS_URL is set,
 * else PostgreSQL; the embedded database has one instance, so memory will do.
 * A store outage falls back to per-instance memory rather than failing open.
 */
export function createRateLimitStore(config: Config, database: DatabaseHandle): RateLimitStore {
  const { perIp, perIdentifier, windowSeconds } = config.rateLimit;
  const limits = (points: number, keyPrefix: string) => ({ points, duration: windowSeconds, keyPrefix });
  const insurance = (points: number, keyPrefix: string) => new RateLimiterMemory(limits(points, keyPrefix));

  if (config.redisUrl) {
    const client = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    const make = (points: number, prefix: string) =>
      new RateLimiterRedis({
        ...limits(points, prefix),
        storeClient: client,
        insuranceLimiter: insurance(points, prefix),
      });
    return {
      kind: 'redis',
      perIp: make(perIp, 'rl-ip'),
      perIdentifier: make(perIdentifier, 'rl-id'),
      close: async () => {
        client.disconnect();
      },
    };
  }
  if (database.kind === 'postgres') {
    const make = (points: number, prefix: string) =>
      new RateLimiterDrizzle({
        ...limits(points, prefix),
        schema: rateLimits,
        storeClient: database.db,
        insuranceLimiter: insurance(points, prefix),
      });
    return {
      kind: 'postgres',
      perIp: make(perIp, 'rl-ip'),
      perIdentifier: make(perIdentifier, 'rl-id'),
      close: async () => {},
    };
  }
  return {
    kind: 'memory',
    perIp: new RateLimiterMemory(limits(perIp, 'rl-ip')),
    perIdentifier: new RateLimiterMemory(limits(perIdentifier, 'rl-id')),
    close: async () => {},
  };
}

function identifierOf(request: FastifyRequest, fields: RateLimitRule['identifiedBy']): string | null {
  const body = request.body as Record<string, unknown> | null | undefined;
  for (const field of fields ?? []) {
    const value = body?.[field];
    if (typeof value === 'string') return `${field}:${value.trim().toLowerCase()}`;
  }
  return null;
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<number | null> {
  try {
    await limiter.consume(key);
    return null;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw rejection;
  }
}

/**
 * Per client IP and per identifier, on the routes that declare a rule. The
 * key is the route's group, not its URL, so `/auth/login/`, `/AUTH/LOGIN` and
 * `/auth/%6Cogin` all spend from one budget.
 */
export function registerRateLimits(app: FastifyInstance, store: RateLimitStore, secrets: Secrets): void {
  app.addHook('preHandler', async (request, reply) => {
    const rule = request.routeOptions.config.rateLimit;
    if (!rule) return;
    const identifier = identifierOf(request, rule.identifiedBy);
    const waits = await Promise.all([
      consume(store.perIp, `${rule.group}:${request.ip}`),
      identifier ? consume(store.perIdentifier, `${rule.group}:${secrets.mac('rate-limit', identifier)}`) : null,
    ]);
    const retryAfterSeconds = Math.max(...waits.map((wait) => wait ?? 0));
    if (retryAfterSeconds > 0) {
      reply.header('retry-after', String(retryAfterSeconds));
      throw new AppError('TOO_MANY_REQUESTS', { retryAfterSeconds });
    }
  });
}
