import { html, SafeHtml } from '../../core/html.js';
import type { ProviderViews } from '../../modules/oidc/provider.js';
import { form } from '../components.js';
import { type Brand, layout } from '../layout.js';

/** What each scope lets an app have, in the words of the consent page. */
const scopeSentences: Record<string, string> = {
  openid: 'Know that it is you (your account id)',
  profile: 'Your name',
  email: 'Your email address and whether it is confirmed',
  phone: 'Your phone number and whether it is confirmed',
  offline_access: 'Keep you signed in to it while your session here lasts',
  roles: 'Your roles and permissions',
};

export function consentView(props: {
  clientName: string;
  email: string;
  scopes: string[];
  claims: string[];
  action: string;
  csrf: string;
}): SafeHtml {
  const lines = props.scopes.map((scope) => scopeSentences[scope] ?? scope);
  return html`<h1>Allow ${props.clientName}?</h1>
<p><strong>${props.clientName}</strong> asks to use your account <strong>${props.email}</strong>. It will be able to:</p>
<ul class="scopes">${lines.map((line) => html`<li>${line}</li>`)}${props.claims.length > 0 ? html`<li>Read: ${props.claims.join(', ')}</li>` : null}</ul>
<div class="actions">
${form({
  action: props.action,
  csrf: props.csrf,
  body: html`<input type="hidden" name="decision" value="allow">`,
  submit: 'Allow',
  className: 'inline',
})}
${form({
  action: props.action,
  csrf: props.csrf,
  body: html`<input type="hidden" name="decision" value="deny">`,
  submit: 'Deny',
  className: 'inline',
  secondary: true,
})}
</div>
<p class="hint">You can take this back by signing out of the app; an administrator can remove the app.</p>`;
}

/** Between our page and the app: a new navigation, so the form that led here does not restrict where it goes. */
export function continueView(clientName: string | null, url: string): SafeHtml {
  return html`<h1>Signing you in</h1>
<p>Taking you back to ${clientName ?? 'the app'}…</p>
<p><a class="button primary" href="${url}">Continue</a></p>`;
}

export function interactionExpiredView(): SafeHtml {
  return html`<h1>This sign-in has expired</h1>
<div class="alert error" role="alert"><p>The sign-in request was opened too long ago or was already used. Go back to the app and sign in again.</p></div>`;
}

// Error codes of OAuth, in words; the code itself is shown too, for whoever reports it.
const oauthErrorSentences: Record<string, string> = {
  invalid_request: 'The app sent a request that cannot be used.',
  invalid_client: 'The app is not registered here.',
  unauthorized_client: 'The app is not allowed to sign in this way.',
  invalid_redirect_uri: 'The app asked to return to an address it has not registered.',
  access_denied: 'Access was refused.',
  invalid_scope: 'The app asked for access it cannot have.',
  login_required: 'You need to sign in again.',
  server_error: 'Something went wrong on our side. Please try again in a moment.',
};

/** The pages oidc-provider draws itself (errors, the sign-out question), in our layout. */
export function providerViews(brand: Brand, contentSecurityPolicy: string): ProviderViews {
  const page = (title: string, body: SafeHtml) => layout({ title, brand, body }).markup;
  return {
    contentSecurityPolicy,
    error: ({ error, description }) =>
      page(
        'That did not work',
        html`<h1>That did not work</h1>
<div class="alert error" role="alert"><p>${oauthErrorSentences[error] ?? 'The app’s sign-in request could not be completed.'}</p>
${description ? html`<p class="hint">${description}</p>` : null}</div>
<p class="hint">Error: <code>${error}</code>. Go back to the app and try again.</p>`,
      ),
    logoutQuestion: (providerForm, clientName) =>
      page(
        'Sign out',
        html`<h1>Sign out?</h1>
<p>${clientName ? html`<strong>${clientName}</strong> asks to sign you out.` : 'An app asks to sign you out.'} Signing out here signs you out of every app that uses this account in this browser.</p>
${new SafeHtml(providerForm)}
<div class="actions">
<button type="submit" form="op.logoutForm" name="logout" value="yes" class="primary" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>
</div>`,
      ),
    leaving: (url, clientName) =>
      page(
        'Signing out',
        html`<h1>Signing out</h1>
<p>Taking you back to ${clientName ?? 'the app'}…</p>
<p><a class="button primary" href="${url}">Continue</a></p>`,
      ),
    signedOut: (clientName) =>
      page(
        'Signed out',
        html`<h1>You have signed out</h1>
<p>${clientName ? html`You have signed out of ${clientName}.` : 'You have signed out.'}</p>
<p><a href="/login">Sign in again</a></p>`,
      ),
  };
}
