import { html, type Renderable, type SafeHtml } from '../../core/html.js';
import { errorSummary, type FieldErrors, field, form, notice } from '../components.js';

export interface ConsoleState {
  csrf: string;
  news?: string | undefined;
  problem?: string | undefined;
  errors?: FieldErrors;
}

const sections: Array<[string, string, string]> = [
  ['/console', 'Overview', 'user.read_all'],
  ['/console/users', 'Users', 'user.read_all'],
  ['/console/devices', 'Device blacklist', 'device.blacklist'],
  ['/console/audit', 'Audit log', 'audit.read'],
  ['/console/apps', 'Apps', 'oidc.clients.manage'],
];

/** The console's heading and navigation; only the sections the caller may open are listed. */
export function consoleHeader(state: ConsoleState, current: string, title: string, permissions: ReadonlySet<string>) {
  return html`<h1>${title}</h1>
<nav class="tabs" aria-label="Console"><ul>${sections
    .filter(([, , permission]) => permissions.has(permission))
    .map(
      ([href, label]) =>
        html`<li><a href="${href}"${href === current ? html` aria-current="page"` : null}>${label}</a></li>`,
    )}</ul></nav>
${state.news ? notice(state.news) : null}${errorSummary(state.errors ?? {}, state.problem)}`;
}

export const when = (iso: string | null) =>
  iso
    ? html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time>`
    : html`<span class="muted">never</span>`;

/** A destructive action: a form whose box must be ticked, so nothing is done by a stray click. */
export function confirmedAction(props: {
  action: string;
  csrf: string;
  submit: string;
  confirm: string;
  body?: Renderable;
}) {
  return form({
    action: props.action,
    csrf: props.csrf,
    submit: props.submit,
    secondary: true,
    className: 'stack danger-zone',
    body: html`${props.body ?? null}<label class="check"><input type="checkbox" name="confirm" value="yes" required> ${props.confirm}</label>`,
  });
}

export function notAllowedView(): SafeHtml {
  return html`<h1>Not allowed</h1>
<div class="alert error" role="alert"><p>Your account is not allowed to open this part of the console. Ask an administrator if you need it.</p></div>
<p><a href="/account">Go to your account</a></p>`;
}

export interface Overview {
  accounts: { total: number; verified: number; locked: number; twoFactor: number };
  liveSessions: number;
  signIns: { succeeded: number; failed: number; hours: Array<{ hour: string; succeeded: number; failed: number }> };
  outbox: { waiting: number; failed: number };
}

/** Sign-ins per hour as bars: successes in the brand's color, failures stacked on top. */
function signInChart(hours: Overview['signIns']['hours']): SafeHtml {
  const width = 24 * 20;
  const height = 120;
  const top = Math.max(1, ...hours.map((hour) => hour.succeeded + hour.failed));
  const scale = (count: number) => Math.round((count / top) * (height - 20));
  return html`<figure class="chart">
<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title">
  <title id="chart-title">Sign-ins per hour over the last day, the most in one hour: ${top}</title>
  ${hours.map((hour, index) => {
    const ok = scale(hour.succeeded);
    const bad = scale(hour.failed);
    return html`<g><title>${hour.hour}:00 UTC: ${hour.succeeded} signed in, ${hour.failed} failed</title>
    <rect class="ok" x="${index * 20 + 3}" y="${height - ok}" width="14" height="${ok}"></rect>
    <rect class="bad" x="${index * 20 + 3}" y="${height - ok - bad}" width="14" height="${bad}"></rect></g>`;
  })}
</svg>
<figcaption>Sign-ins per hour, last 24 hours (UTC). <span class="key ok">Signed in</span> <span class="key bad">Failed</span></figcaption>
</figure>`;
}

export function overviewView(state: ConsoleState & { overview: Overview; permissions: ReadonlySet<string> }) {
  const { accounts, liveSessions, signIns, outbox } = state.overview;
  const tile = (label: string, value: number, href?: string) =>
    html`<li class="tile"><span class="value">${value}</span> ${href ? html`<a href="${href}">${label}</a>` : label}</li>`;
  return html`${consoleHeader(state, '/console', 'Console', state.permissions)}
<ul class="tiles">
  ${tile('users', accounts.total, '/console/users')}
  ${tile('verified', accounts.verified, '/console/users?verified=true')}
  ${tile('locked', accounts.locked, '/console/users?locked=true')}
  ${tile('with two-step verification', accounts.twoFactor, '/console/users?twoFactor=true')}
  ${tile('active sessions', liveSessions)}
  ${tile('sign-ins in 24 h', signIns.succeeded)}
  ${tile('failed sign-ins in 24 h', signIns.failed)}
  ${tile('messages waiting', outbox.waiting)}
  ${tile('failed deliveries', outbox.failed)}
</ul>
${signInChart(signIns.hours)}`;
}

export interface UserRowView {
  id: number;
  email: string;
  firstName: string | null;
  lastName: string | null;
  roles: string[];
  emailVerified: boolean;
  twoFactorMethods: string[];
  locked: boolean;
  createdAt: string;
}

export interface UserFilters {
  search: string;
  role: string;
  verified: string;
  locked: string;
  twoFactor: string;
}

const choice = (
  name: string,
  label: string,
  value: string,
  options: Array<[string, string]>,
) => html`<div class="field">
  <label for="filter-${name}">${label}</label>
  <select id="filter-${name}" name="${name}">${options.map(
    ([option, text]) => html`<option value="${option}"${option === value ? html` selected` : null}>${text}</option>`,
  )}</select></div>`;

const yesNo: Array<[string, string]> = [
  ['', 'Any'],
  ['true', 'Yes'],
  ['false', 'No'],
];

export function usersView(
  state: ConsoleState & {
    users: UserRowView[];
    total: number;
    offset: number;
    pageSize: number;
    filters: UserFilters;
    permissions: ReadonlySet<string>;
  },
) {
  const { filters } = state;
  const query = (offset: number) =>
    `/console/users?${new URLSearchParams({ ...filters, offset: String(offset) }).toString()}`;
  const next = state.offset + state.pageSize < state.total ? state.offset + state.pageSize : null;
  const previous = state.offset > 0 ? Math.max(0, state.offset - state.pageSize) : null;
  return html`${consoleHeader(state, '/console/users', 'Users', state.permissions)}
<form method="get" action="/console/users" class="filters" role="search">
  ${field({ name: 'search', label: 'Email or name', value: filters.search, required: false, maxlength: 100 })}
  ${choice('role', 'Role', filters.role, [
    ['', 'Any'],
    ['USER', 'USER'],
    ['ADMIN', 'ADMIN'],
    ['SUPER_ADMIN', 'SUPER_ADMIN'],
  ])}
  ${choice('verified', 'Verified', filters.verified, yesNo)}
  ${choice('locked', 'Locked', filters.locked, yesNo)}
  ${choice('twoFactor', 'Two-step', filters.twoFactor, yesNo)}
  <button type="submit" class="secondary">Search</button>
</form>
${state.permissions.has('user.create_all') ? html`<p><a class="button primary" href="/console/users/new">Create a user</a></p>` : null}
<p class="muted">${state.total} user${state.total === 1 ? '' : 's'}</p>
<table class="list">
  <caption class="visually-hidden">Users</caption>
  <thead><tr><th scope="col">User</th><th scope="col">Roles</th><th scope="col">State</th><th scope="col">Created</th></tr></thead>
  <tbody>${state.users.map(
    (user) => html`<tr>
    <td><a href="/console/users/${user.id}">${user.email}</a><br><span class="muted">${[user.firstName, user.lastName].filter(Boolean).join(' ')}</span></td>
    <td>${user.roles.join(', ')}</td>
    <td>${user.locked ? html`<span class="badge warn">Locked</span> ` : null}${user.emailVerified ? null : html`<span class="badge">Unverified</span> `}${user.twoFactorMethods.length > 0 ? html`<span class="badge">2FA</span>` : null}</td>
    <td>${when(user.createdAt)}</td>
  </tr>`,
  )}</tbody>
</table>
<p class="pager">${previous !== null ? html`<a href="${query(previous)}">Previous</a>` : null} ${next !== null ? html`<a href="${query(next)}">Next</a>` : null}</p>`;
}

export function createUserView(state: ConsoleState & { permissions: ReadonlySet<string>; email?: string }) {
  const errors = state.errors ?? {};
  return html`${consoleHeader(state, '/console/users', 'Create a user', state.permissions)}
<p>The account starts verified: you vouch for the address. Its owner gets an email, and should change the password you give.</p>
${form({
  action: '/console/users',
  csrf: state.csrf,
  submit: 'Create user',
  body: html`${field({ name: 'email', label: 'Email', type: 'email', value: state.email, autocomplete: 'off', errors, autofocus: true })}
  ${field({ name: 'firstName', label: 'First name', required: false, maxlength: 100, errors })}
  ${field({ name: 'lastName', label: 'Last name', required: false, maxlength: 100, errors })}
  ${field({ name: 'password', label: 'First password', type: 'password', autocomplete: 'new-password', errors })}`,
})}`;
}
