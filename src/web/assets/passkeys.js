// Passkeys on the pages: WebAuthn needs script, so these buttons exist only where it runs.
// The ceremonies' options and answers go through our own origin; the verification is the server's.
document.addEventListener('DOMContentLoaded', () => {
  const webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn?.browserSupportsWebAuthn()) return;

  const csrf = () => document.querySelector('input[name="_csrf"]')?.value;
  async function postJson(url, body) {
    // The pages' own routes want the form's CSRF token; the JSON API takes no cookie and no token.
    const payload = url.startsWith('/auth/') ? body : { _csrf: csrf(), ...body };
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      credentials: 'same-origin',
    });
    return { ok: response.ok, body: await response.json().catch(() => ({})) };
  }
  const say = (box, message) => {
    box.querySelector('[data-passkey-error]').textContent = message;
  };
  const notUsed = 'The passkey was not used. Try again, or use another way.';

  /** Options from `optionsUrl`, the authenticator's answer, then `verifyUrl`; follows where the server says. */
  async function ceremony(
    box,
    { optionsUrl, optionsBody = {}, verifyUrl, extra = {}, register = false, autofill = false },
  ) {
    const started = await postJson(optionsUrl, optionsBody);
    if (!started.ok) return say(box, started.body.message ?? 'Passkeys are not available right now.');
    const optionsJSON = started.body.options ?? started.body;
    let response;
    try {
      response = register
        ? await webauthn.startRegistration({ optionsJSON })
        : await webauthn.startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
    } catch {
      if (!autofill) say(box, notUsed);
      return;
    }
    const done = await postJson(verifyUrl, { challengeId: started.body.challengeId, response, ...extra });
    if (done.ok) window.location.assign(done.body.redirect);
    else say(box, done.body.message ?? notUsed);
  }

  const signIn = document.querySelector('[data-passkey-login]');
  if (signIn) {
    signIn.hidden = false;
    const options = {
      optionsUrl: '/auth/passkeys/login/options',
      verifyUrl: '/login/passkey',
      extra: { return_to: signIn.dataset.returnTo || undefined },
    };
    signIn.querySelector('[data-passkey-start]').addEventListener('click', () => ceremony(signIn, options));
    // Passkey autofill: the email field offers the device's passkeys (conditional mediation).
    webauthn.browserSupportsWebAuthnAutofill().then((supported) => {
      if (supported) ceremony(signIn, { ...options, autofill: true });
    });
  }

  const secondFactor = document.querySelector('[data-passkey-second-factor]');
  if (secondFactor) {
    secondFactor.hidden = false;
    secondFactor.querySelector('[data-passkey-start]').addEventListener('click', () =>
      ceremony(secondFactor, {
        optionsUrl: '/login/2fa/passkey/options',
        verifyUrl: '/login/2fa/passkey',
        extra: { return_to: secondFactor.dataset.returnTo || undefined },
      }),
    );
  }

  const add = document.querySelector('[data-passkey-add]');
  if (add) {
    add.hidden = false;
    add.querySelector('[data-passkey-start]').addEventListener('click', () =>
      ceremony(add, {
        optionsUrl: '/account/passkeys/options',
        optionsBody: { password: add.querySelector('input[name="addPassword"]')?.value || undefined },
        verifyUrl: '/account/passkeys',
        register: true,
        extra: { name: add.querySelector('input[name="passkeyName"]')?.value || undefined },
      }),
    );
  }

  // After a password sign-in, offer a passkey where this device can make one.
  const offer = document.querySelector('[data-passkey-offer]');
  window.PublicKeyCredential?.isUserVerifyingPlatformAuthenticatorAvailable?.().then((available) => {
    if (offer && available) offer.hidden = false;
  });
});
