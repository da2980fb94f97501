import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SafeHtml } from '../../core/html.js';
import type { AuditFilter } from '../../modules/audit/service.js';
import type { FieldErrors } from '../components.js';
import type { PageKit } from '../kit.js';
import { consoleAccess } from './access.js';
import { type AuditEventView, type AuditFilters, auditView } from './audit-view.js';

const page = { schema: { hide: true } };
const pageSize = 50;
const exportChunk = 200;
const exportCap = 10_000;
// The API's limits (src/modules/audit/routes.ts).
const actionPattern = /^[a-z_]+\.[a-z_]+$/;
const largestUserId = 2_147_483_647;
// `YYYY-MM-DDTHH:MM` (what a person types, read as UTC) up to a full ISO date-time with seconds, fraction and zone.
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** The instant as ISO text, or null when the text is not a real date and time. */
export function parseDateTime(text: string): string | null {
  const match = dateTimePattern.exec(text);
  if (!match) return null;
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '00', fraction = '', zone = 'Z'] = match;
  const calendar = new Date(0);
  calendar.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  const realDay = calendar.getUTCMonth() === Number(month) - 1 && calendar.getUTCDate() === Number(day);
  const [zoneHours = 0, zoneMinutes = 0] = zone.length > 1 ? zone.slice(1).split(':').map(Number) : [];
  if (!realDay || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  if (zoneHours > 23 || zoneMinutes > 59) return null;
  const instant = Date.parse(
    `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${zone.toUpperCase()}`,
  );
  return Number.isNaN(instant) ? null : new Date(instant).toISOString();
}

/** The query's filters as typed, the criteria for `listEvents`, and a sentence for each one that is not valid. */
function readFilters(query: Record<string, unknown>) {
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string).trim() : '');
  const filters: AuditFilters = { userId: text('userId'), action: text('action'), from: text('from'), to: text('to') };
  const criteria: Omit<AuditFilter, 'limit' | 'offset'> = {};
  const errors: FieldErrors = {};
  if (filters.userId !== '') {
    const userId = /^[0-9]{1,10}$/.test(filters.userId) ? Number(filters.userId) : 0;
    if (userId >= 1 && userId <= largestUserId) criteria.userId = userId;
    else errors.userId = 'Enter a user by number, such as 42.';
  }
  if (filters.action !== '') {
    if (actionPattern.test(filters.action)) criteria.action = filters.action;
    else errors.action = 'Enter an action as two lower-case words joined by a dot, such as login.failed.';
  }
  for (const name of ['from', 'to'] as const) {
    if (filters[name] === '') continue;
    const instant = parseDateTime(filters[name]);
    if (instant) criteria[name] = instant;
    else errors[name] = 'Enter a date and time as 2026-01-31T14:00 (UTC), or a full ISO date-time.';
  }
  return { filters, criteria, errors, valid: Object.keys(errors).length === 0 };
}

const formulaStart = /^[=+\-@\t\r]/;

/**
 * One CSV field: quoted, its quotes doubled (RFC 4180), and text a
 * spreadsheet would run as a formula prefixed with `'` so it stays text.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return `"${(formulaStart.test(text) ? `'${text}` : text).replaceAll('"', '""')}"`;
}

const csvHeader = 'id,createdAt,action,actorUserId,targetUserId,ipAddress,userAgent,details';
const csvRow = (event: AuditEventView) =>
  [
    event.id,
    event.createdAt,
    event.action,
    event.actorUserId,
    event.targetUserId,
    event.ipAddress,
    event.userAgent,
    JSON.stringify(event.details),
  ]
    .map(csvField)
    .join(',');

/** The audit trail in the console: the API's `audit.read` permission and the same service call. */
export function consoleAuditPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf } = kit;
  const access = consoleAccess(kit);
  const { permissionsOf } = access;
  const show = (request: FastifyRequest, reply: FastifyReply, body: SafeHtml, status = 200) =>
    access.show(request, reply, 'Audit log', body, status);
  const allowed = (request: FastifyRequest, reply: FastifyReply) => access.allowed(request, reply, 'audit.read');

  return async (app) => {
    app.get('/console/audit', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      const query = request.query as Record<string, unknown>;
      const { filters, criteria, errors, valid } = readFilters(query);
      const offset = typeof query.offset === 'string' && /^[0-9]{1,6}$/.test(query.offset) ? Number(query.offset) : 0;
      const { total, events } = valid
        ? await services.auditLog.listEvents({ ...criteria, limit: pageSize, offset })
        : { total: 0, events: [] };
      const body = auditView({
        csrf: csrf.tokenFor(request),
        errors,
        permissions: permissionsOf(request),
        filters,
        events,
        total,
        offset,
        pageSize,
        exportCap,
      });
      return show(request, reply, body, valid ? 200 : 400);
    });

    app.get('/console/audit.csv', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      const { filters, criteria, errors, valid } = readFilters(request.query as Record<string, unknown>);
      if (!valid) {
        const body = auditView({
          csrf: csrf.tokenFor(request),
          errors,
          permissions: permissionsOf(request),
          filters,
          events: [],
          total: 0,
          offset: 0,
          pageSize,
          exportCap,
        });
        return show(request, reply, body, 400);
      }
      // Newest first in chunks; events written meanwhile shift the pages, so an id already written is skipped.
      const seen = new Set<number>();
      const lines = [csvHeader];
      for (let offset = 0; seen.size < exportCap; offset += exportChunk) {
        const { events } = await services.auditLog.listEvents({ ...criteria, limit: exportChunk, offset });
        for (const event of events) {
          if (seen.has(event.id) || seen.size >= exportCap) continue;
          seen.add(event.id);
          lines.push(csvRow(event));
        }
        if (events.length < exportChunk) break;
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="audit.csv"')
        .send(`${lines.join('\r\n')}\r\n`);
    });
  };
}
