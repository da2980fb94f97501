import { html, type SafeHtml } from '../../core/html.js';
import { passwordMaxLength, passwordMinLength } from '../../platform/password.js';
import { errorSummary, type FieldErrors, field, form, notice } from '../components.js';

export interface Profile {
  email: string;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  phoneVerified: boolean;
}

export interface State {
  csrf: string;
  errors?: FieldErrors;
  problem?: string | undefined;
  news?: string | undefined;
}

const nav = (current: string) => {
  const items: Array<[string, string]> = [
    ['/account', 'Profile'],
    ['/account/password', 'Password'],
    ['/account/two-factor', 'Two-step verification'],
    ['/account/passkeys', 'Passkeys'],
    ['/account/identities', 'Linked sign-ins'],
    ['/account/sessions', 'Devices'],
    ['/account/history', 'Sign-in history'],
    ['/account/delete', 'Delete account'],
  ];
  return html`<nav class="tabs" aria-label="Account"><ul>${items.map(
    ([href, label]) =>
      html`<li><a href="${href}"${href === current ? html` aria-current="page"` : null}>${label}</a></li>`,
  )}</ul></nav>`;
};

export const header = (state: State, current: string, title: string) =>
  html`<h1>${title}</h1>${nav(current)}${state.news ? notice(state.news) : null}${errorSummary(state.errors ?? {}, state.problem)}`;

export function profileView(state: State & { profile: Profile; hasPasskeys: boolean }) {
  const { profile } = state;
  const errors = state.errors ?? {};
  return html`${header(state, '/account', 'Your account')}
${
  state.hasPasskeys
    ? null
    : html`<div class="alert info" data-passkey-offer hidden><p>This device can sign you in with a passkey: no password to type, and nothing a fake site could steal. <a href="/account/passkeys">Add a passkey</a></p></div>`
}
<p>Signed in as <strong>${profile.email}</strong>.</p>
${form({
  action: '/account/profile',
  csrf: state.csrf,
  submit: 'Save profile',
  body: html`${field({ name: 'firstName', label: 'First name', value: profile.firstName ?? '', autocomplete: 'given-name', required: false, maxlength: 100, errors })}
  ${field({ name: 'lastName', label: 'Last name', value: profile.lastName ?? '', autocomplete: 'family-name', required: false, maxlength: 100, errors })}
  ${field({ name: 'phoneNumber', label: 'Phone number', type: 'tel', value: profile.phoneNumber ?? '', autocomplete: 'tel', required: false, hint: 'With the country code, for example +14155550123. Leave empty to remove it.', errors })}`,
})}
${
  profile.phoneNumber
    ? profile.phoneVerified
      ? html`<p class="status ok">Phone number verified.</p>`
      : html`<p class="status warn">Your phone number is not verified yet.</p>
${form({ action: '/account/phone/send', csrf: state.csrf, submit: 'Send me a code by SMS', secondary: true, className: 'inline', body: null })}`
    : null
}`;
}

export function phoneCodeView(state: State & { phoneNumber: string }) {
  return html`${header(state, '/account', 'Verify your phone')}
<p>We sent a 6-digit code to <strong>${state.phoneNumber}</strong>.</p>
${form({
  action: '/account/phone',
  csrf: state.csrf,
  submit: 'Verify',
  body: field({
    name: 'code',
    label: 'Code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
    errors: state.errors ?? {},
    autofocus: true,
  }),
})}`;
}

export function passwordView(state: State) {
  const errors = state.errors ?? {};
  return html`${header(state, '/account/password', 'Change your password')}
<p>Your other devices are signed out when the password changes; this one stays signed in.</p>
${form({
  action: '/account/password',
  csrf: state.csrf,
  submit: 'Change password',
  body: html`${field({ name: 'currentPassword', label: 'Current password', type: 'password', autocomplete: 'current-password', maxlength: passwordMaxLength, errors, autofocus: true })}
  ${field({ name: 'newPassword', label: 'New password', type: 'password', autocomplete: 'new-password', maxlength: passwordMaxLength, hint: `At least ${passwordMinLength} characters.`, errors })}`,
})}`;
}

/** For an account made by a provider: a password is set through the same emailed link as a reset. */
export function setPasswordView(state: State) {
  return html`${header(state, '/account/password', 'Set a password')}
<p>Your account has no password yet: you sign in through a linked provider. To sign in with a password too, we email you a link to choose one.</p>
${form({ action: '/account/password/set', csrf: state.csrf, submit: 'Email me a link', body: null })}`;
}

export interface SessionItem {
  id: string;
  deviceName: string | null;
  platform: string | null;
  appVersion: string | null;
  ipAddress: string | null;
  country: string | null;
  city: string | null;
  lastActiveAt: string;
  createdAt: string;
  current: boolean;
}

const place = (item: { city: string | null; country: string | null }) =>
  [item.city, item.country].filter(Boolean).join(', ') || 'Unknown place';
export const when = (iso: string) => html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time>`;

export function sessionsView(state: State & { sessions: SessionItem[] }) {
  return html`${header(state, '/account/sessions', 'Devices signed in')}
<table class="list">
  <caption class="visually-hidden">Devices signed in to your account</caption>
  <thead><tr><th scope="col">Device</th><th scope="col">Place</th><th scope="col">Last active</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
  <tbody>
  ${state.sessions.map(
    (session) => html`<tr>
    <td><strong>${session.deviceName ?? 'Unnamed device'}</strong><br><span class="muted">${[session.platform, session.appVersion].filter(Boolean).join(' ') || 'Unknown platform'}</span>${session.current ? html` <span class="badge">This browser</span>` : null}</td>
    <td>${place(session)}<br><span class="muted">${session.ipAddress ?? ''}</span></td>
    <td>${when(session.lastActiveAt)}</td>
    <td>${
      session.current
        ? null
        : form({
            action: `/account/sessions/${session.id}/end`,
            csrf: state.csrf,
            submit: 'Sign out',
            submitLabel: `Sign out ${session.deviceName ?? 'this device'}`,
            secondary: true,
            className: 'inline',
            body: null,
          })
    }</td>
  </tr>`,
  )}
  </tbody>
</table>
${state.sessions.length > 1 ? form({ action: '/account/sessions/end-others', csrf: state.csrf, submit: 'Sign out every other device', secondary: true, body: null }) : null}`;
}

export interface LoginItem {
  createdAt: string;
  success: boolean;
  method: string;
  failureReason: string | null;
  ipAddress: string | null;
  country: string | null;
  city: string | null;
  deviceName: string | null;
  platform: string | null;
  flags: string[];
}

const methodLabels: Record<string, string> = {
  password: 'password',
  mfa: 'two-step verification',
  verify_email: 'email confirmation',
  otp: 'one-time code',
  passkey: 'passkey',
};

/**
 * How a sign-in happened, in words; a federated one names its provider (`oauth:google` → "google"),
 * one at an app through the OpenID provider names the app (`oidc:<client id>` → its name).
 */
function methodLabel(method: string, apps: ReadonlyMap<string, string>): string {
  if (method.startsWith('oauth:')) return `with ${method.slice('oauth:'.length)}`;
  if (method.startsWith('oidc:')) {
    const clientId = method.slice('oidc:'.length);
    return `to ${apps.get(clientId) ?? 'a removed app'}`;
  }
  return methodLabels[method] ?? method;
}

// Why a sign-in failed, in words (the history keeps the API's code).
const failureLabels: Record<string, string> = {
  INVALID_CREDENTIALS: 'wrong password',
  ACCOUNT_LOCKED: 'account locked',
  EMAIL_NOT_VERIFIED: 'email not confirmed',
  DEVICE_BLOCKED: 'device blocked',
  OAUTH_STATE_INVALID: 'started in another browser, or too late',
  OAUTH_CALLBACK_FAILED: 'refused by the provider',
  FEDERATED_EMAIL_UNVERIFIED: 'email not confirmed by the provider',
  ID_TOKEN_INVALID: 'invalid ID token',
  MFA_CODE_INVALID: 'wrong code',
  MFA_LOCKED: 'too many wrong codes',
};

const flagLabels: Record<string, string> = {
  new_location: 'New location',
  impossible_travel: 'Impossible travel',
  new_device: 'New device',
};

export function historyView(
  state: State & {
    logins: LoginItem[];
    total: number;
    offset: number;
    pageSize: number;
    apps: ReadonlyMap<string, string>;
  },
) {
  const next = state.offset + state.pageSize < state.total ? state.offset + state.pageSize : null;
  const previous = state.offset > 0 ? Math.max(0, state.offset - state.pageSize) : null;
  return html`${header(state, '/account/history', 'Sign-in history')}
<table class="list">
  <caption class="visually-hidden">Sign-ins to your account, newest first</caption>
  <thead><tr><th scope="col">When</th><th scope="col">Result</th><th scope="col">Place</th><th scope="col">Device</th></tr></thead>
  <tbody>
  ${state.logins.map(
    (login) => html`<tr>
    <td>${when(login.createdAt)}</td>
    <td>${login.success ? 'Signed in' : html`<span class="failed">Failed</span>`} <span class="muted">(${methodLabel(login.method, state.apps)}${login.failureReason ? `, ${failureLabels[login.failureReason] ?? login.failureReason.toLowerCase().replaceAll('_', ' ')}` : ''})</span>
      ${login.flags.map((flag) => html` <span class="badge warn">${flagLabels[flag] ?? flag}</span>`)}</td>
    <td>${place(login)}<br><span class="muted">${login.ipAddress ?? ''}</span></td>
    <td>${[login.deviceName, login.platform].filter(Boolean).join(' · ') || 'Unknown'}</td>
  </tr>`,
  )}
  </tbody>
</table>
<p class="pager">${previous !== null ? html`<a href="/account/history?offset=${previous}">Newer</a>` : null} ${next !== null ? html`<a href="/account/history?offset=${next}">Older</a>` : null}</p>`;
}

export function deleteView(state: State) {
  return html`${header(state, '/account/delete', 'Delete your account')}
<p>This deletes your account, signs out every device and removes your sign-in history. It cannot be undone.</p>
${form({
  action: '/account/delete',
  csrf: state.csrf,
  submit: 'Delete my account',
  className: 'stack danger',
  body: field({
    name: 'password',
    label: 'Your password, to confirm',
    type: 'password',
    autocomplete: 'current-password',
    maxlength: passwordMaxLength,
    errors: state.errors ?? {},
    autofocus: true,
  }),
})}`;
}

export function deletedView(): SafeHtml {
  return html`<h1>Your account was deleted</h1>
${notice('Your account and its sessions are gone. Thank you for having been with us.')}
<p><a href="/register">Create a new account</a></p>`;
}
