import type { AuditRepository } from './repository.js';

export interface AuditFilter {
  userId?: number | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  offset: number;
}

export function createAuditService({ audit }: { audit: AuditRepository }) {
  return {
    async listEvents({ from, to, ...rest }: AuditFilter) {
      const { rows, total } = await audit.listAuditEvents({
        ...rest,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
      });
      return {
        total,
        events: rows.map((row) => ({
          ...row,
          details: row.details as Record<string, unknown>,
          createdAt: row.createdAt.toISOString(),
        })),
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
