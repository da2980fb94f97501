import { html } from '../../core/html.js';
import { passwordMaxLength } from '../../platform/password.js';
import { field, form } from '../components.js';
import { header, type State } from './views.js';

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
