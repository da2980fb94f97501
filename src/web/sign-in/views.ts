import { html, type SafeHtml } from '../../core/html.js';
import { passwordMaxLength, passwordMinLength } from '../../platform/password.js';
import { errorSummary, type FieldErrors, field, form, notice } from '../components.js';

interface FormState {
  csrf: string;
  returnTo?: string | undefined;
  errors?: FieldErrors;
  /** A sentence about the whole form rather than one field. */
  problem?: string | undefined;
}

const withReturn = (path: string, returnTo: string | undefined) =>
  returnTo ? `${path}?return_to=${encodeURIComponent(returnTo)}` : path;

export function loginView(
  state: FormState & {
    email?: string;
    news?: string | undefined;
    verifyLink?: string;
    providers?: ReadonlyArray<{ id: string; name: string }>;
    /** The registered app the person is signing in for, when one sent them (the OpenID provider). */
    app?: { id: string; name: string } | undefined;
  },
) {
  const errors = state.errors ?? {};
  return html`<h1>Sign in</h1>
${state.app ? html`<p>to continue to <strong>${state.app.name}</strong></p>` : null}
${state.news ? notice(state.news) : null}
${errorSummary(errors, state.problem)}
${state.verifyLink ? html`<p><a href="${state.verifyLink}">Enter the code from your email</a></p>` : null}
${form({
  action: '/login',
  csrf: state.csrf,
  returnTo: state.returnTo,
  submit: 'Sign in',
  // The app's id rides along, so a refused attempt still names it.
  body: html`${state.app ? html`<input type="hidden" name="app" value="${state.app.id}">` : null}
  ${field({ name: 'email', label: 'Email', type: 'email', value: state.email, autocomplete: 'username webauthn', errors, autofocus: !state.email })}
  ${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', errors, maxlength: passwordMaxLength, autofocus: Boolean(state.email) })}`,
})}
${passkeyButton('data-passkey-login', 'Sign in with a passkey', state.returnTo)}
${providerButtons(state.providers ?? [], state.returnTo)}
<p class="links"><a href="/forgot-password">Forgot your password?</a> · <a href="${withReturn('/register', state.returnTo)}">Create an account</a></p>`;
}

/** A link per provider: starting a redirect changes nothing until the person comes back from it. */
function providerButtons(providers: ReadonlyArray<{ id: string; name: string }>, returnTo: string | undefined) {
  if (providers.length === 0) return null;
  return html`<div class="providers">
  <p class="or">or</p>
  ${providers.map(
    (provider) =>
      html`<a class="button secondary" href="${withReturn(`/auth/oauth/${provider.id}`, returnTo)}">Continue with ${provider.name}</a>`,
  )}
</div>`;
}

/** Shown by the page's script where the browser can use passkeys; without script there is nothing to show. */
function passkeyButton(
  role: 'data-passkey-login' | 'data-passkey-second-factor',
  label: string,
  returnTo: string | undefined,
) {
  return html`<div class="passkey" ${role === 'data-passkey-login' ? html`data-passkey-login` : html`data-passkey-second-factor`} data-return-to="${returnTo ?? ''}" hidden>
  <p class="or">or</p>
  <button type="button" class="secondary" data-passkey-start>${label}</button>
  <p class="error" aria-live="assertive" data-passkey-error></p>
</div>`;
}

const methodLabels: Record<string, string> = {
  totp: 'the 6-digit code from your authenticator app',
  sms: 'the 6-digit code we sent to your phone',
};

export function twoFactorView(state: FormState & { methods: string[]; bySms?: boolean; news?: string | undefined }) {
  const errors = state.errors ?? {};
  // The authenticator app's code when there is one, unless the person asked for a text message instead;
  // an SMS-only account got its code when the password was accepted.
  const codeMethods =
    state.methods.includes('totp') && !state.bySms ? ['totp'] : state.methods.filter((method) => method === 'sms');
  return html`<h1>Two-step verification</h1>
${state.news ? notice(state.news) : null}
<p>Your account asks for a second step. Enter ${codeMethods.map((method) => methodLabels[method]).join(', or ')}.</p>
${errorSummary(errors, state.problem)}
${form({
  action: '/login/2fa',
  csrf: state.csrf,
  returnTo: state.returnTo,
  submit: 'Verify',
  body: html`<input type="hidden" name="method" value="${codeMethods[0] ?? ''}">
  ${field({ name: 'code', label: 'Code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, errors, autofocus: true })}`,
})}
${
  state.methods.includes('sms')
    ? form({
        action: '/login/2fa/sms',
        csrf: state.csrf,
        returnTo: state.returnTo,
        submit: codeMethods.includes('sms') ? 'Text me a new code' : 'Text me a code instead',
        secondary: true,
        className: 'inline',
        body: null,
      })
    : null
}
${state.methods.includes('passkey') ? passkeyButton('data-passkey-second-factor', 'Use a passkey', state.returnTo) : null}
${
  state.methods.includes('recovery_code')
    ? html`<details class="recovery"><summary>Lost your device? Use a recovery code</summary>
${form({
  action: '/login/2fa',
  csrf: state.csrf,
  returnTo: state.returnTo,
  submit: 'Use recovery code',
  secondary: true,
  body: field({
    name: 'recoveryCode',
    label: 'Recovery code',
    autocomplete: 'off',
    maxlength: 32,
    hint: 'Each code works once, for example k7qm2-x9tfw.',
  }),
})}</details>`
    : null
}
<p class="links"><a href="/login">Start again</a></p>`;
}

export function registerView(state: FormState & { email?: string; firstName?: string; lastName?: string }): SafeHtml {
  const errors = state.errors ?? {};
  return html`<h1>Create an account</h1>
${errorSummary(errors, state.problem)}
${form({
  action: '/register',
  csrf: state.csrf,
  returnTo: state.returnTo,
  submit: 'Create account',
  body: html`${field({ name: 'firstName', label: 'First name', value: state.firstName, autocomplete: 'given-name', required: false, maxlength: 100, errors, autofocus: true })}
  ${field({ name: 'lastName', label: 'Last name', value: state.lastName, autocomplete: 'family-name', required: false, maxlength: 100, errors })}
  ${field({ name: 'email', label: 'Email', type: 'email', value: state.email, autocomplete: 'email', errors, maxlength: 254 })}
  ${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', errors, maxlength: passwordMaxLength, hint: `At least ${passwordMinLength} characters. A long phrase is easy to remember and hard to guess.` })}`,
})}
<p class="links">Already have an account? <a href="${withReturn('/login', state.returnTo)}">Sign in</a></p>`;
}

export function verifyEmailView(state: FormState & { email: string; code?: string; news?: string | undefined }) {
  const errors = state.errors ?? {};
  return html`<h1>Confirm your email</h1>
${state.news ? notice(state.news) : null}
<p>We sent a 6-digit code to <strong>${state.email || 'your email address'}</strong>. It expires in a few minutes.</p>
${errorSummary(errors, state.problem)}
${form({
  action: '/verify-email',
  csrf: state.csrf,
  returnTo: state.returnTo,
  submit: 'Confirm',
  body: html`${state.email ? html`<input type="hidden" name="email" value="${state.email}">` : field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'email', errors })}
  ${field({ name: 'code', label: 'Code', value: state.code, inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, errors, autofocus: true })}`,
})}
${form({
  action: '/verify-email/resend',
  csrf: state.csrf,
  returnTo: state.returnTo,
  submit: 'Send a new code',
  secondary: true,
  className: 'inline',
  body: html`<input type="hidden" name="email" value="${state.email}">`,
})}`;
}

export function forgotPasswordView(state: FormState & { email?: string; news?: string | undefined }) {
  const errors = state.errors ?? {};
  return html`<h1>Forgot your password?</h1>
${state.news ? notice(state.news) : html`<p>Enter your email and we will send you a link to choose a new password.</p>`}
${errorSummary(errors, state.problem)}
${form({
  action: '/forgot-password',
  csrf: state.csrf,
  submit: 'Send the link',
  body: field({
    name: 'email',
    label: 'Email',
    type: 'email',
    value: state.email,
    autocomplete: 'email',
    errors,
    autofocus: true,
  }),
})}
<p class="links"><a href="/login">Back to sign in</a></p>`;
}

export function resetPasswordView(state: FormState & { token: string }) {
  const errors = state.errors ?? {};
  return html`<h1>Choose a new password</h1>
${errorSummary(errors, state.problem)}
${form({
  action: '/reset-password',
  csrf: state.csrf,
  submit: 'Save the new password',
  body: html`<input type="hidden" name="token" value="${state.token}">
  ${field({ name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', errors, maxlength: passwordMaxLength, hint: `At least ${passwordMinLength} characters.`, autofocus: true })}`,
})}
<p class="links"><a href="/forgot-password">Ask for a new link</a></p>`;
}

export function passwordResetDoneView() {
  return html`<h1>Password changed</h1>
${notice('Your password has been changed, and every device that was signed in has been signed out.')}
<p><a class="button primary" href="/login">Sign in with the new password</a></p>`;
}

export function refusedReturnView(address: string) {
  return html`<h1>This link cannot be followed</h1>
<div class="alert error" role="alert"><p>The link that brought you here wants to send you on to <code>${address}</code> afterwards, which is not an application this sign-in service knows. Nothing was done.</p></div>
<p><a href="/login">Sign in without it</a></p>`;
}
