import { and, count, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { auditEvents } from '../../db/schema.js';

export interface AuditEvent {
  action: string;
  actorUserId?: number | null;
  targetUserId?: number | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
  createdAt: Date;
}

/** Append-only trail of security-relevant events; read by the admin audit endpoint. */
export interface AuditQuery {
  userId?: number | undefined;
  action?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  offset: number;
}

export function createAuditRepository(db: Database) {
  return {
    /** Newest first; `userId` matches the target of the event. */
    async listAuditEvents(query: AuditQuery) {
      const conditions: SQL[] = [];
      if (query.userId !== undefined) conditions.push(eq(auditEvents.targetUserId, query.userId));
      if (query.action) conditions.push(eq(auditEvents.action, query.action));
      if (query.from) conditions.push(gte(auditEvents.createdAt, query.from));
      if (query.to) conditions.push(lt(auditEvents.createdAt, query.to));
      const where = and(...conditions);
      const [rows, [total]] = await Promise.all([
        db
          .select()
          .from(auditEvents)
          .where(where)
          .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
          .limit(query.limit)
          .offset(query.offset),
        db.select({ value: count() }).from(auditEvents).where(where),
      ]);
      return { rows, total: total?.value ?? 0 };
    },

    async insertAuditEvent(event: AuditEvent): Promise<void> {
      await db.insert(auditEvents).values({ ...event, details: event.details ?? {} });
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
