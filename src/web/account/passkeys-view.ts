import { html } from '../../core/html.js';
import { field, form } from '../components.js';
import { header, type State, when } from './views.js';

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
