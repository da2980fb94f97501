import { currentRequestContext } from '../../core/request-context.js';
import type { Clock } from '../../platform/clock.js';
import type { AuditAction } from './actions.js';
import type { AuditRepository } from './repository.js';

export interface AuditEntry {
  /** Whom the event is about; absent for events about no one account (a device, say). */
  targetUserId?: number | null | undefined;
  /**
   * Who acted. Defaults to the request's signed-in caller; given explicitly
   * where the caller is not yet signed in (a sign-in) or is nobody (`null`).
   */
  actorUserId?: number | null | undefined;
  details?: Record<string, unknown> | undefined;
}

/**
 * The one way services write the audit trail: the action is one of a fixed
 * set, and the caller's address and user agent come from the request the
 * service is serving, so no signature has to carry them.
 */
export function createAuditRecorder({ audit, clock }: { audit: AuditRepository; clock: Clock }) {
  return {
    async record(action: AuditAction, entry: AuditEntry = {}): Promise<void> {
      const context = currentRequestContext();
      await audit.insertAuditEvent({
        action,
        actorUserId: entry.actorUserId !== undefined ? entry.actorUserId : (context?.actorUserId ?? null),
        targetUserId: entry.targetUserId ?? null,
        ipAddress: context?.client.ipAddress ?? null,
        userAgent: context?.client.userAgent ?? null,
        details: entry.details ?? {},
        createdAt: clock.now(),
      });
    },
  };
}

export type AuditRecorder = ReturnType<typeof createAuditRecorder>;
