import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  /** Body fields that name who the request is about; each one present is counted. */
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
  /** Readiness checks of the store's own server, by name (Redis); empty when it has none of its own. */
  checks: Record<string, () => Promise<unknown>>;
  close(): Promise<void>;
}

/**
 * Counters live where every instance sees them: Redis when REDIS_URL is set,
 * else PostgreSQL; the embedded database has one instance, so memory will do.
 * A store outage falls back to per-instance memory rather than failing open.
 */
export async function createRateLimitStore(config: Config, database: DatabaseHandle): Promise<RateLimitStore> {
  const { perIp, perIdentifier, windowSeconds } = config.rateLimit;
  const limits = (points: number, keyPrefix: string) => ({ points, duration: windowSeconds, keyPrefix });
  const insurance = (points: number, keyPrefix: string) => new RateLimiterMemory(limits(points, keyPrefix));

  if (config.redisUrl) {
    const client = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    client.on('error', () => {});
    // Connected before the first request: until then every instance would count alone.
    await client.connect().catch((error: Error) => {
      throw new Error(`REDIS_URL: cannot connect (${error.message})`);
    });
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
      checks: { redis: () => client.ping() },
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
      checks: {},
      close: async () => {},
    };
  }
  return {
    kind: 'memory',
    perIp: new RateLimiterMemory(limits(perIp, 'rl-ip')),
    perIdentifier: new RateLimiterMemory(limits(perIdentifier, 'rl-id')),
    checks: {},
    close: async () => {},
  };
}

/** Every identifier present: counting only the first would let a decoy field shield the real target. */
function identifiersOf(request: FastifyRequest, fields: RateLimitRule['identifiedBy']): string[] {
  const body = request.body as Record<string, unknown> | null | undefined;
  return (fields ?? []).flatMap((field) => {
    const value = body?.[field];
    return typeof value === 'string' ? [`${field}:${value.trim().toLowerCase()}`] : [];
  });
}

/** IPv6 clients get a /64 each (what one subscriber usually holds); IPv4 clients one address. */
export function clientKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  if (groups.some((group) => group.includes('.'))) return ip; // IPv4-mapped: keep as is
  return `${groups.slice(0, 4).join(':')}::/64`;
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
  async function limit(request: FastifyRequest, reply: FastifyReply, rule: RateLimitRule): Promise<void> {
    // The address first: an attempt it refuses does not spend the account's budget, and parallel
    // attempts are counted in one order (each counter alone is atomic, two raced ones are not).
    const addressWait = await consume(store.perIp, `${rule.group}:${clientKey(request.ip)}`);
    const waits = addressWait
      ? [addressWait]
      : await Promise.all(
          identifiersOf(request, rule.identifiedBy).map((identifier) =>
            consume(store.perIdentifier, `${rule.group}:${secrets.mac('rate-limit', identifier)}`),
          ),
        );
    const retryAfterSeconds = Math.max(0, ...waits.map((wait) => wait ?? 0));
    if (retryAfterSeconds > 0) {
      reply.header('retry-after', String(retryAfterSeconds));
      throw new AppError('TOO_MANY_REQUESTS', { retryAfterSeconds });
    }
  }
  // Attached to the routes that declare a rule, first among their preHandlers: the others
  // (every authenticated read) pay nothing for the limiter.
  app.addHook('onRoute', (route) => {
    const rule = route.config?.rateLimit;
    if (!rule) return;
    const own = route.preHandler ? [route.preHandler].flat() : [];
    route.preHandler = [(request, reply) => limit(request, reply, rule), ...own];
  });
}
