import { html } from '../../core/html.js';
import { field, form } from '../components.js';
import { type ConsoleState, confirmedAction, consoleHeader, when } from './views.js';

export interface ManagedUserView {
  id: number;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  emailVerified: boolean;
  twoFactorMethods: string[];
  roles: string[];
  locked: boolean;
  lockedUntil: string | null;
  lockReason: string | null;
  createdAt: string;
}

interface Detail {
  user: ManagedUserView;
  /** False when the caller may not act on this account (an ADMIN looking at a SUPER_ADMIN). */
  manageable: boolean;
  permissions: ReadonlySet<string>;
  sessions: Array<{
    id: string;
    deviceName: string | null;
    platform: string | null;
    ipAddress: string | null;
    lastActiveAt: string;
  }>;
  passkeys: Array<{ name: string; createdAt: string; lastUsedAt: string | null; backedUp: boolean }>;
  identities: Array<{ providerName: string; email: string | null; createdAt: string; lastUsedAt: string | null }>;
  logins: Array<{
    createdAt: string;
    success: boolean;
    method: string;
    failureReason: string | null;
    ipAddress: string | null;
    country: string | null;
  }>;
  audit: Array<{ createdAt: string; action: string; actorUserId: number | null; ipAddress: string | null }> | null;
}

const assignable = ['USER', 'ADMIN', 'SUPER_ADMIN'];

function actions(state: ConsoleState & Detail) {
  const { user, permissions, csrf } = state;
  const at = (path: string) => `/console/users/${user.id}/${path}`;
  if (!state.manageable) {
    return html`<p class="status warn">Only a SUPER_ADMIN can change a SUPER_ADMIN's account.</p>`;
  }
  return html`<div class="actions-grid">
${
  permissions.has('role.assign')
    ? html`<section><h2>Roles</h2>
  ${form({
    action: at('roles/assign'),
    csrf,
    submit: 'Assign role',
    secondary: true,
    className: 'row',
    body: html`<div class="field"><label for="assign-role">Role</label><select id="assign-role" name="roleName">${assignable
      .filter((role) => !user.roles.includes(role))
      .map((role) => html`<option>${role}</option>`)}</select></div>`,
  })}
  ${user.roles.map((role) => confirmedAction({ action: at('roles/remove'), csrf, submit: `Remove ${role}`, confirm: `Yes, remove ${role}`, body: html`<input type="hidden" name="roleName" value="${role}">` }))}
</section>`
    : null
}
${
  permissions.has('user.lock')
    ? html`<section><h2>${user.locked ? 'Unlock' : 'Lock'}</h2>${
        user.locked
          ? confirmedAction({
              action: at('unlock'),
              csrf,
              submit: 'Unlock',
              confirm: 'Yes, let this account sign in again',
            })
          : confirmedAction({
              action: at('lock'),
              csrf,
              submit: 'Lock',
              confirm: 'Yes, lock this account and sign it out everywhere',
              body: html`${field({ name: 'reason', label: 'Reason', required: false, maxlength: 200 })}
              ${field({ name: 'until', label: 'Until (optional, e.g. 2030-01-31T12:00:00Z)', required: false, maxlength: 40 })}`,
            })
      }</section>`
    : null
}
${
  permissions.has('session.revoke_all')
    ? html`<section><h2>Sign out</h2>${confirmedAction({ action: at('sign-out'), csrf, submit: 'Sign out everywhere', confirm: 'Yes, end every session' })}</section>`
    : null
}
${
  permissions.has('user.delete_all')
    ? html`<section><h2>Delete</h2>${confirmedAction({ action: at('delete'), csrf, submit: 'Delete account', confirm: 'Yes, delete this account for good' })}</section>`
    : null
}
</div>`;
}

export function userDetailView(state: ConsoleState & Detail) {
  const { user } = state;
  const canEndSessions = state.manageable && state.permissions.has('session.revoke_all');
  return html`${consoleHeader(state, '/console/users', user.email, state.permissions)}
<dl class="facts">
  <dt>Name</dt><dd>${[user.firstName, user.lastName].filter(Boolean).join(' ') || '—'}</dd>
  <dt>Roles</dt><dd>${user.roles.join(', ')}</dd>
  <dt>Email</dt><dd>${user.emailVerified ? 'verified' : 'not verified'}</dd>
  <dt>Phone</dt><dd>${user.phoneNumber ?? '—'}</dd>
  <dt>Two-step</dt><dd>${user.twoFactorMethods.join(', ') || 'off'}</dd>
  <dt>State</dt><dd>${user.locked ? html`<strong>Locked</strong>${user.lockedUntil ? html` until ${when(user.lockedUntil)}` : null}${user.lockReason ? ` (${user.lockReason})` : ''}` : 'Active'}</dd>
  <dt>Created</dt><dd>${when(user.createdAt)}</dd>
</dl>
${actions(state)}
<h2>Sessions</h2>
${
  state.sessions.length === 0
    ? html`<p class="muted">No live session.</p>`
    : html`<table class="list"><thead><tr><th scope="col">Device</th><th scope="col">Address</th><th scope="col">Last active</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>${state.sessions.map(
        (
          session,
        ) => html`<tr><td>${session.deviceName ?? 'Unnamed device'} <span class="muted">${session.platform ?? ''}</span></td><td>${session.ipAddress ?? ''}</td><td>${when(session.lastActiveAt)}</td>
        <td>${canEndSessions ? confirmedAction({ action: `/console/users/${user.id}/sessions/${session.id}/end`, csrf: state.csrf, submit: 'Sign out', confirm: 'Yes' }) : null}</td></tr>`,
      )}</tbody></table>`
}
<h2>Passkeys</h2>
${
  state.passkeys.length === 0
    ? html`<p class="muted">No passkey.</p>`
    : html`<ul>${state.passkeys.map(
        (passkey) =>
          html`<li>${passkey.name}${passkey.backedUp ? ' (synced)' : ''}, added ${when(passkey.createdAt)}, last used ${when(passkey.lastUsedAt)}</li>`,
      )}</ul>`
}
<h2>Linked sign-ins</h2>
${
  state.identities.length === 0
    ? html`<p class="muted">No linked sign-in.</p>`
    : html`<ul>${state.identities.map(
        (identity) =>
          html`<li>${identity.providerName}${identity.email ? ` (${identity.email})` : ''}, linked ${when(identity.createdAt)}, last used ${when(identity.lastUsedAt)}</li>`,
      )}</ul>`
}
<h2>Sign-in history</h2>
<table class="list"><thead><tr><th scope="col">When</th><th scope="col">Result</th><th scope="col">Address</th></tr></thead><tbody>${state.logins.map(
    (login) =>
      html`<tr><td>${when(login.createdAt)}</td><td>${login.success ? 'Signed in' : html`<span class="failed">Failed</span>`} <span class="muted">(${login.method}${login.failureReason ? `, ${login.failureReason}` : ''})</span></td><td>${login.ipAddress ?? ''} ${login.country ?? ''}</td></tr>`,
  )}</tbody></table>
${
  state.audit
    ? html`<h2>Audit trail</h2><table class="list"><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">By</th><th scope="col">Address</th></tr></thead><tbody>${state.audit.map(
        (event) =>
          html`<tr><td>${when(event.createdAt)}</td><td>${event.action}</td><td>${event.actorUserId === null ? '—' : html`<a href="/console/users/${event.actorUserId}">user ${event.actorUserId}</a>`}</td><td>${event.ipAddress ?? ''}</td></tr>`,
      )}</tbody></table>
<p><a href="/console/audit?userId=${user.id}">The whole trail of this user</a></p>`
    : null
}`;
}
