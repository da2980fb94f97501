import type { Database } from '../../db/database.js';
import { auditEvents } from '../../db/schema.js';

export interface AuditEvent {
  action: string;
  actorUserId?: number | null;
  targetUserId?: number | null;
  ipAddress?: string | null;
  details?: Record<string, unknown>;
  createdAt: Date;
}

/** Append-only trail of security-relevant events; read by the admin audit endpoint. */
export function createAuditRepository(db: Database) {
  return {
    async insertAuditEvent(event: AuditEvent): Promise<void> {
      await db.insert(auditEvents).values({ ...event, details: event.details ?? {} });
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
