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

interface State {
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
    ['/account/sessions', 'Devices'],
    ['/account/history', 'Sign-in history'],
    ['/account/delete', 'Delete account'],
  ];
  return html`<nav class="tabs" aria-label="Account"><ul>${items.map(
    ([href, label]) =>
      html`<li><a href="${href}"${href === current ? html` aria-current="page"` : null}>${label}</a></li>`,
  )}</ul></nav>`;
};

const header = (state: State, current: string, title: string) =>
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

export function twoFactorView(state: State & { methods: string[] }) {
  const errors = state.errors ?? {};
  const on = state.methods.length > 0;
  const passwordField = (id: string, autofocus = false) =>
    field({
      name: 'password',
      id,
      label: 'Your password',
      type: 'password',
      autocomplete: 'current-password',
      maxlength: passwordMaxLength,
      errors,
      autofocus,
    });
  return html`${header(state, '/account/two-factor', 'Two-step verification')}
<p class="status ${on ? 'ok' : 'warn'}">${on ? `On: ${state.methods.map((method) => (method === 'totp' ? 'authenticator app' : 'text message')).join(' and ')}.` : 'Off. Your account is protected by your password alone.'}</p>
${
  state.methods.includes('totp')
    ? null
    : html`<h2>Use an authenticator app</h2>
<p>After your password you will also enter a code from an app such as 1Password, Google Authenticator or Aegis.</p>
${form({ action: '/account/two-factor/totp', csrf: state.csrf, submit: 'Set up an authenticator app', body: passwordField('field-password', true) })}`
}
${
  on
    ? html`<h2>New recovery codes</h2>
<p>Recovery codes sign you in once each if you lose your device. New codes replace the old ones.</p>
${form({ action: '/account/two-factor/recovery-codes', csrf: state.csrf, submit: 'Make new recovery codes', secondary: true, body: passwordField('regenerate-password') })}
<h2>Turn two-step verification off</h2>
${form({
  action: '/account/two-factor/disable',
  csrf: state.csrf,
  submit: 'Turn off',
  secondary: true,
  body: html`${passwordField('disable-password')}
  ${field({ name: 'code', label: 'A current code (or a recovery code)', autocomplete: 'one-time-code', maxlength: 32, errors })}`,
})}`
    : null
}`;
}

export function totpSetupView(state: State & { secret: string; qrCode: string }) {
  return html`${header(state, '/account/two-factor', 'Set up your authenticator app')}
<ol class="steps">
  <li>Scan this code with your authenticator app.<br><img class="qr" src="${state.qrCode}" alt="QR code that adds this account to an authenticator app" width="200" height="200"></li>
  <li>Or type this key into the app: <code class="secret" id="totp-secret">${state.secret}</code> <button type="button" class="link" data-copy="totp-secret" hidden>Copy</button></li>
  <li>Enter the 6-digit code the app shows.</li>
</ol>
${form({
  action: '/account/two-factor/totp/confirm',
  csrf: state.csrf,
  submit: 'Turn on',
  body: field({
    name: 'code',
    label: 'Code from the app',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
    errors: state.errors ?? {},
    autofocus: true,
  }),
})}`;
}

export function recoveryCodesView(state: State & { codes: string[] }) {
  const text = `${state.codes.join('\n')}\n`;
  return html`${header(state, '/account/two-factor', 'Your recovery codes')}
<p><strong>Save these codes now: they are shown only this once.</strong> Each one signs you in once if you lose your device.</p>
<pre class="codes" id="recovery-codes">${text}</pre>
<p class="actions">
  <a class="button secondary" download="recovery-codes.txt" href="${`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}">Download</a>
  <button type="button" class="secondary" data-copy="recovery-codes" hidden>Copy</button>
  <a class="button primary" href="/account/two-factor">I have saved them</a>
</p>`;
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
const when = (iso: string) => html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time>`;

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

// Why a sign-in failed, in words (the history keeps the API's code).
const failureLabels: Record<string, string> = {
  INVALID_CREDENTIALS: 'wrong password',
  ACCOUNT_LOCKED: 'account locked',
  EMAIL_NOT_VERIFIED: 'email not confirmed',
  DEVICE_BLOCKED: 'device blocked',
  MFA_CODE_INVALID: 'wrong code',
  MFA_LOCKED: 'too many wrong codes',
};

const flagLabels: Record<string, string> = {
  new_location: 'New location',
  impossible_travel: 'Impossible travel',
  new_device: 'New device',
};

export function historyView(state: State & { logins: LoginItem[]; total: number; offset: number; pageSize: number }) {
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
    <td>${login.success ? 'Signed in' : html`<span class="failed">Failed</span>`} <span class="muted">(${methodLabels[login.method] ?? login.method}${login.failureReason ? `, ${failureLabels[login.failureReason] ?? login.failureReason.toLowerCase().replaceAll('_', ' ')}` : ''})</span>
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

export interface PasskeyItem {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}

export function passkeysView(state: State & { passkeys: PasskeyItem[] }) {
  const errors = state.errors ?? {};
  return html`${header(state, '/account/passkeys', 'Passkeys')}
<p>A passkey signs you in with your device's screen lock or a security key: no password, and nothing a fake site can steal.</p>
${
  state.passkeys.length === 0
    ? html`<p class="muted">You have no passkeys yet.</p>`
    : html`<ul class="passkeys">${state.passkeys.map(
        (passkey) => html`<li>
  <p><strong>${passkey.name}</strong>${passkey.backedUp ? html` <span class="badge">Synced</span>` : null}<br>
  <span class="muted">Added ${when(passkey.createdAt)}${passkey.lastUsedAt ? html`, last used ${when(passkey.lastUsedAt)}` : ', never used yet'}</span></p>
  ${form({
    action: `/account/passkeys/${passkey.id}/rename`,
    csrf: state.csrf,
    submit: 'Rename',
    submitLabel: `Rename ${passkey.name}`,
    secondary: true,
    className: 'row',
    body: field({
      name: 'name',
      id: `name-${passkey.id}`,
      label: 'Name',
      value: passkey.name,
      maxlength: 100,
      errors: {},
    }),
  })}
  ${form({
    action: `/account/passkeys/${passkey.id}/remove`,
    csrf: state.csrf,
    submit: 'Remove',
    submitLabel: `Remove ${passkey.name}`,
    secondary: true,
    className: 'row',
    body: field({
      name: 'password',
      id: `password-${passkey.id}`,
      label: 'Your password',
      type: 'password',
      autocomplete: 'current-password',
      required: false,
      hint: 'Not needed within 5 minutes of signing in.',
      errors,
    }),
  })}
</li>`,
      )}</ul>`
}
<div class="add-passkey" data-passkey-add hidden>
  <h2>Add a passkey</h2>
  ${field({ name: 'passkeyName', label: 'Name (so you can tell your passkeys apart)', required: false, maxlength: 100, hint: 'For example: Work laptop.' })}
  ${field({ name: 'addPassword', label: 'Your password', type: 'password', autocomplete: 'current-password', required: false, hint: 'Not needed within 5 minutes of signing in.' })}
  <button type="button" class="primary" data-passkey-start>Add a passkey</button>
  <p class="error" aria-live="assertive" data-passkey-error></p>
</div>`;
}
