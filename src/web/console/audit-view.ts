import { html, type SafeHtml } from '../../core/html.js';
import type { AuditService } from '../../modules/audit/service.js';
import { field } from '../components.js';
import { type ConsoleState, consoleHeader, when } from './views.js';

/** The filters as the person typed them (valid or not), so the form shows them back. */
export interface AuditFilters {
  userId: string;
  action: string;
  from: string;
  to: string;
}

/** An event as the audit service presents it (the API's answer, too). */
export type AuditEventView = Awaited<ReturnType<AuditService['listEvents']>>['events'][number];

/** The filters that were given, as a query string (without the `?`), plus `extra`. */
export function auditQuery(filters: AuditFilters, extra: Record<string, string> = {}): string {
  const given = Object.entries(filters).filter(([, value]) => value !== '');
  return new URLSearchParams([...given, ...Object.entries(extra)]).toString();
}

export function auditView(
  state: ConsoleState & {
    permissions: ReadonlySet<string>;
    filters: AuditFilters;
    events: AuditEventView[];
    total: number;
    offset: number;
    pageSize: number;
    exportCap: number;
  },
): SafeHtml {
  const { filters, permissions } = state;
  const errors = state.errors ?? {};
  const valid = Object.keys(errors).length === 0;
  const at = (offset: number) => `/console/audit?${auditQuery(filters, offset > 0 ? { offset: String(offset) } : {})}`;
  const next = state.offset + state.pageSize < state.total ? state.offset + state.pageSize : null;
  const previous = state.offset > 0 ? Math.max(0, state.offset - state.pageSize) : null;
  const person = (userId: number | null) =>
    userId === null
      ? html`<span class="muted">—</span>`
      : permissions.has('user.read_all')
        ? html`<a href="/console/users/${userId}">user ${userId}</a>`
        : `user ${userId}`;
  const query = auditQuery(filters);
  const exportHref = query ? `/console/audit.csv?${query}` : '/console/audit.csv';
  const time = { required: false, maxlength: 40, hint: 'UTC, as 2026-01-31T14:00', errors };
  return html`${consoleHeader(state, '/console/audit', 'Audit log', permissions)}
<form method="get" action="/console/audit" class="filters" role="search">
  ${field({ name: 'userId', label: 'About user (number)', value: filters.userId, required: false, inputmode: 'numeric', maxlength: 10, errors })}
  ${field({ name: 'action', label: 'Action', value: filters.action, required: false, maxlength: 100, hint: 'Such as login.failed', errors })}
  ${field({ name: 'from', label: 'From', value: filters.from, ...time })}
  ${field({ name: 'to', label: 'Before', value: filters.to, ...time })}
  <button type="submit" class="secondary">Filter</button>
</form>
${
  valid
    ? html`<p class="muted">${state.total} event${state.total === 1 ? '' : 's'}, newest first.
  <a href="${exportHref}" download>Export CSV</a>${state.total > state.exportCap ? ` (the first ${state.exportCap.toLocaleString('en')} events)` : ''}</p>
<table class="list">
  <caption class="visually-hidden">Audit events</caption>
  <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">By</th><th scope="col">About</th><th scope="col">Address</th><th scope="col">User agent</th><th scope="col">Details</th></tr></thead>
  <tbody>${state.events.map(
    (event) => html`<tr>
    <td>${when(event.createdAt)}</td>
    <td>${event.action}</td>
    <td>${person(event.actorUserId)}</td>
    <td>${person(event.targetUserId)}</td>
    <td>${event.ipAddress ?? ''}</td>
    <td class="wrap">${event.userAgent ?? ''}</td>
    <td class="wrap"><code>${Object.keys(event.details).length > 0 ? JSON.stringify(event.details) : ''}</code></td>
  </tr>`,
  )}</tbody>
</table>
<p class="pager">${previous !== null ? html`<a href="${at(previous)}">Previous</a>` : null} ${next !== null ? html`<a href="${at(next)}">Next</a>` : null}</p>`
    : null
}`;
}
