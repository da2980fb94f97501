import { html } from '../../core/html.js';
import { field, form } from '../components.js';
import { header, type State, when } from './views.js';

export interface IdentityItem {
  id: string;
  providerName: string;
  email: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export function identitiesView(
  state: State & {
    identities: IdentityItem[];
    available: ReadonlyArray<{ id: string; name: string }>;
    hasPassword: boolean;
  },
) {
  const errors = state.errors ?? {};
  const passwordField = (id: string) =>
    state.hasPassword
      ? field({
          name: 'password',
          id,
          label: 'Your password',
          type: 'password',
          autocomplete: 'current-password',
          required: false,
          hint: 'Not needed within 5 minutes of signing in.',
          errors,
        })
      : null;
  return html`${header(state, '/account/identities', 'Linked sign-ins')}
<p>Sign in with an account you already have elsewhere. Each one linked here is another way into this account.</p>
${
  state.identities.length === 0
    ? html`<p class="muted">No sign-in is linked yet.</p>`
    : html`<ul class="passkeys">${state.identities.map(
        (identity) => html`<li>
  <p><strong>${identity.providerName}</strong>${identity.email ? html` <span class="muted">${identity.email}</span>` : null}<br>
  <span class="muted">Linked ${when(identity.createdAt)}${identity.lastUsedAt ? html`, last used ${when(identity.lastUsedAt)}` : null}</span></p>
  ${form({
    action: `/account/identities/${identity.id}/unlink`,
    csrf: state.csrf,
    submit: 'Unlink',
    submitLabel: `Unlink ${identity.providerName}`,
    secondary: true,
    className: 'row',
    body: passwordField(`password-${identity.id}`),
  })}
</li>`,
      )}</ul>`
}
${
  state.available.length === 0
    ? null
    : html`<h2>Link another</h2>
${state.available.map((provider) =>
  form({
    action: '/account/identities/link',
    csrf: state.csrf,
    submit: `Link ${provider.name}`,
    secondary: true,
    body: html`<input type="hidden" name="provider" value="${provider.id}">${passwordField(`password-${provider.id}`)}`,
  }),
)}`
}`;
}

/** Between the form and the provider: the browser is taken there at once, or by this link. */
export function continueToProviderView(url: string) {
  return html`<h1>Linking</h1>
<p>Taking you to the provider to sign in there…</p>
<p><a class="button primary" href="${url}">Continue</a></p>`;
}
