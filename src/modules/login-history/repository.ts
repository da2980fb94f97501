import { and, desc, eq, gte, isNotNull } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { loginEvents } from '../../db/schema.js';

/**
 * How the person got in; `oauth:<provider id>` for a federated sign-in, so history names the provider;
 * `oidc:<client id>` for an app signed in to through the OpenID provider (with the session it rode on).
 */
export type LoginMethod =
  | 'password'
  | 'verify_email'
  | 'otp'
  | 'mfa'
  | 'passkey'
  | `oauth:${string}`
  | `oidc:${string}`;

export interface LoginEvent {
  userId: number | null;
  method: LoginMethod;
  success: boolean;
  failureReason?: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  deviceId?: string | null;
  deviceName?: string | null;
  platform?: string | null;
  country?: string | null;
  city?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  flags?: string[];
  sessionId?: string | null;
  createdAt: Date;
}

export function createLoginHistoryRepository(db: Database) {
  const locatedSuccesses = (userId: number) =>
    and(eq(loginEvents.userId, userId), eq(loginEvents.success, true), isNotNull(loginEvents.country));

  return {
    /** Countries of the user's successful sign-ins since `since`. */
    async findRecentCountries(userId: number, since: Date): Promise<string[]> {
      const rows = await db
        .selectDistinct({ country: loginEvents.country })
        .from(loginEvents)
        .where(and(locatedSuccesses(userId), gte(loginEvents.createdAt, since)));
      return rows.flatMap((row) => (row.country ? [row.country] : []));
    },

    async findLastLocatedSuccess(userId: number) {
      const [row] = await db
        .select({ latitude: loginEvents.latitude, longitude: loginEvents.longitude, createdAt: loginEvents.createdAt })
        .from(loginEvents)
        .where(locatedSuccesses(userId))
        .orderBy(desc(loginEvents.createdAt))
        .limit(1);
      return row ?? null;
    },

    async insertLoginEvent(event: LoginEvent): Promise<void> {
      await db.insert(loginEvents).values(event);
    },
  };
}

export type LoginHistoryRepository = ReturnType<typeof createLoginHistoryRepository>;
