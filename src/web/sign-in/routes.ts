import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { clientOf } from '../../http/authenticate.js';
import { passwordMaxLength } from '../../platform/password.js';
import { browserDevice } from '../browser.js';
import type { FieldErrors } from '../components.js';
import { attempt } from '../error-messages.js';
import { formFields, notesOf, type PageKit, renderPage, seeOther } from '../kit.js';
import { createSignInConclusion, type SignInOutcome } from './conclude.js';
import { checkEmail, checkNewPassword, limited, page } from './forms.js';
import { signInPasskeyPages } from './passkeys.js';
import { recoveryPages } from './recovery.js';
import { loginView, refusedReturnView, registerView, twoFactorView, verifyEmailView } from './views.js';

export function signInPages(kit: PageKit): FastifyPluginAsync {
  const { services, cookies, csrf, returnTo } = kit;

  /** `return_to` of the query or form: the address, null when absent; sends the refusal page when not allowed. */
  function destination(request: FastifyRequest, reply: FastifyReply, raw: unknown): string | null | undefined {
    const checked = returnTo.check(raw);
    if (checked !== 'refused') return checked;
    renderPage(kit, request, reply, { title: 'Link refused', body: refusedReturnView(String(raw)), status: 400 });
    return undefined;
  }

  const concludeSignIn = createSignInConclusion(kit);

  /** The sign-in form, with a button for each configured provider. */
  const loginBody = async (state: Parameters<typeof loginView>[0]) =>
    loginView({ ...state, providers: await services.federation.listProviders() });

  // Named by the OpenID provider's sign-in (`app` = its client id): only a registered app's name is shown.
  async function appNamed(clientId: unknown) {
    if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 64) return undefined;
    const client = await services.openid.clientName(clientId);
    return client ? { id: clientId, name: client.name } : undefined;
  }

  const finish = async (reply: FastifyReply, outcome: SignInOutcome, next: string | null) =>
    seeOther(reply, await concludeSignIn(reply, outcome, next));

  return async (app) => {
    app.get('/login', page, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const next = destination(request, reply, query.return_to);
      if (next === undefined) return reply;
      // An app that asked for a new sign-in (OpenID prompt=login, max_age) gets the form even when signed in.
      const again = query.prompt === 'login';
      if (request.principal && !again) return seeOther(reply, next ?? '/account');
      const app = await appNamed(query.app);
      const news =
        query.signed_out === '1'
          ? 'You have signed out.'
          : again
            ? `Sign in again to continue to ${app?.name ?? 'the app'}.`
            : undefined;
      return renderPage(kit, request, reply, {
        title: 'Sign in',
        body: await loginBody({ csrf: csrf.tokenFor(request), returnTo: next ?? undefined, news, app }),
      });
    });

    app.post('/login', limited('login'), async (request, reply) => {
      const form = formFields(request.body, ['email', 'password', 'return_to', 'app']);
      const next = destination(request, reply, form.return_to);
      if (next === undefined) return reply;
      const errors: FieldErrors = {};
      checkEmail(form.email, errors);
      if (!form.password) errors.password = 'Enter your password.';
      else if (form.password.length > passwordMaxLength) errors.password = 'That password is too long.';
      const state = {
        csrf: csrf.tokenFor(request),
        returnTo: next ?? undefined,
        email: form.email,
        errors,
        app: await appNamed(form.app),
      };
      if (Object.keys(errors).length > 0) {
        return renderPage(kit, request, reply, { title: 'Sign in', body: await loginBody(state), status: 400 });
      }
      const outcome = await attempt(() =>
        services.signIn.signInWithPassword(
          { email: form.email, password: form.password, deviceInfo: browserDevice(request) },
          clientOf(request),
        ),
      );
      if (outcome.ok) return finish(reply, outcome.value, next);
      const verifyLink =
        outcome.error.code === 'EMAIL_NOT_VERIFIED'
          ? `/verify-email?email=${encodeURIComponent(form.email)}`
          : undefined;
      return renderPage(kit, request, reply, {
        title: 'Sign in',
        body: await loginBody({ ...state, problem: outcome.sentence, ...(verifyLink ? { verifyLink } : {}) }),
        status: outcome.error.statusCode,
      });
    });

    async function twoFactorPage(
      request: FastifyRequest,
      reply: FastifyReply,
      problem?: string,
      status = 200,
      extra: { bySms?: boolean; news?: string } = {},
    ) {
      const mfaToken = cookies.pendingChallenge(request);
      const methods = mfaToken ? await services.twoFactor.challengeMethods(mfaToken) : null;
      // Carried by the page's address, or by the form that was just posted.
      const given =
        (request.query as Record<string, unknown>).return_to ??
        (request.body as Record<string, unknown> | undefined)?.return_to;
      const next = returnTo.check(given);
      if (!methods) {
        cookies.clearPendingChallenge(reply);
        const state = {
          csrf: csrf.tokenFor(request),
          problem: 'Signing in took too long. Start again with your password.',
        };
        return renderPage(kit, request, reply, { title: 'Sign in', body: await loginBody(state), status: 401 });
      }
      const state = {
        csrf: csrf.tokenFor(request),
        methods,
        problem,
        returnTo: next === 'refused' ? undefined : (next ?? undefined),
        ...extra,
      };
      return renderPage(kit, request, reply, { title: 'Two-step verification', body: twoFactorView(state), status });
    }

    app.post('/login/2fa/sms', { ...page, config: { rateLimit: { group: 'code-send' } } }, async (request, reply) => {
      const mfaToken = cookies.pendingChallenge(request);
      if (!mfaToken) return twoFactorPage(request, reply);
      const outcome = await attempt(() => services.twoFactor.resendChallengeSms(mfaToken));
      if (!outcome.ok)
        return twoFactorPage(request, reply, outcome.sentence, outcome.error.statusCode, { bySms: true });
      return twoFactorPage(request, reply, undefined, 200, {
        bySms: true,
        news: 'A new code is on its way to your phone.',
      });
    });

    app.get('/login/2fa', page, (request, reply) => twoFactorPage(request, reply));

    app.post('/login/2fa', { ...page, config: { rateLimit: { group: '2fa-verify' } } }, async (request, reply) => {
      const form = formFields(request.body, ['method', 'code', 'recoveryCode', 'return_to']);
      const next = destination(request, reply, form.return_to);
      if (next === undefined) return reply;
      const mfaToken = cookies.pendingChallenge(request);
      if (!mfaToken) return twoFactorPage(request, reply);
      const method = form.method === 'sms' ? ('sms' as const) : form.method === 'totp' ? ('totp' as const) : undefined;
      const factor = form.recoveryCode ? { recoveryCode: form.recoveryCode } : { code: form.code.trim(), method };
      const outcome = await attempt(() =>
        services.twoFactor.completeChallenge(mfaToken, factor, browserDevice(request), clientOf(request)),
      );
      if (outcome.ok) return finish(reply, outcome.value, next);
      return twoFactorPage(request, reply, outcome.sentence, outcome.error.statusCode, { bySms: method === 'sms' });
    });

    await app.register(signInPasskeyPages(kit));

    app.get('/register', page, async (request, reply) => {
      const next = destination(request, reply, (request.query as Record<string, unknown>).return_to);
      if (next === undefined) return reply;
      return renderPage(kit, request, reply, {
        title: 'Create an account',
        body: registerView({ csrf: csrf.tokenFor(request), returnTo: next ?? undefined }),
      });
    });

    app.post('/register', limited('register'), async (request, reply) => {
      const form = formFields(request.body, ['email', 'password', 'firstName', 'lastName', 'return_to']);
      const next = destination(request, reply, form.return_to);
      if (next === undefined) return reply;
      const errors: FieldErrors = {};
      checkEmail(form.email, errors);
      checkNewPassword(form.password, errors);
      for (const name of ['firstName', 'lastName'] as const) {
        if (form[name].length > 100) errors[name] = 'Use at most 100 characters.';
      }
      const state = { ...form, csrf: csrf.tokenFor(request), returnTo: next ?? undefined, errors };
      if (Object.keys(errors).length === 0) {
        const registered = await attempt(() =>
          services.registration.register({
            email: form.email,
            password: form.password,
            firstName: form.firstName.trim() || undefined,
            lastName: form.lastName.trim() || undefined,
          }),
        );
        if (registered.ok) {
          const onward = next ? `&return_to=${encodeURIComponent(next)}` : '';
          return seeOther(reply, `/verify-email?email=${encodeURIComponent(form.email.trim().toLowerCase())}${onward}`);
        }
        if (registered.error.code === 'PASSWORD_TOO_COMMON') errors.password = registered.sentence;
        else
          return renderPage(kit, request, reply, {
            title: 'Create an account',
            body: registerView({ ...state, problem: registered.sentence }),
            status: registered.error.statusCode,
          });
      }
      return renderPage(kit, request, reply, { title: 'Create an account', body: registerView(state), status: 400 });
    });

    app.get('/verify-email', page, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const next = destination(request, reply, query.return_to);
      if (next === undefined) return reply;
      const email = typeof query.email === 'string' ? query.email : '';
      const code = typeof query.code === 'string' && /^[0-9]{6}$/.test(query.code) ? query.code : undefined;
      return renderPage(kit, request, reply, {
        title: 'Confirm your email',
        body: verifyEmailView({ csrf: csrf.tokenFor(request), returnTo: next ?? undefined, email, code }),
      });
    });

    app.post('/verify-email', limited('code-verify'), async (request, reply) => {
      const form = formFields(request.body, ['email', 'code', 'return_to']);
      const next = destination(request, reply, form.return_to);
      if (next === undefined) return reply;
      const code = form.code.trim();
      const errors: FieldErrors = {};
      checkEmail(form.email, errors);
      if (!/^[0-9]{6}$/.test(code)) errors.code = 'Enter the 6 digits from the email.';
      const state = { csrf: csrf.tokenFor(request), returnTo: next ?? undefined, email: form.email, code, errors };
      if (Object.keys(errors).length > 0) {
        return renderPage(kit, request, reply, {
          title: 'Confirm your email',
          body: verifyEmailView(state),
          status: 400,
        });
      }
      const outcome = await attempt(() =>
        services.registration.verifyEmail(
          { email: form.email, otp: code, deviceInfo: browserDevice(request) },
          clientOf(request),
        ),
      );
      if (outcome.ok) return finish(reply, outcome.value, next);
      return renderPage(kit, request, reply, {
        title: 'Confirm your email',
        body: verifyEmailView({ ...state, problem: outcome.sentence }),
        status: outcome.error.statusCode,
      });
    });

    app.post('/verify-email/resend', limited('code-send'), async (request, reply) => {
      const form = formFields(request.body, ['email', 'return_to']);
      const next = destination(request, reply, form.return_to);
      if (next === undefined) return reply;
      const state = { csrf: csrf.tokenFor(request), returnTo: next ?? undefined, email: form.email };
      const errors: FieldErrors = {};
      checkEmail(form.email, errors);
      if (Object.keys(errors).length > 0) {
        return renderPage(kit, request, reply, {
          title: 'Confirm your email',
          body: verifyEmailView({ ...state, email: '', errors }),
          status: 400,
        });
      }
      const { notes, status } = notesOf(
        await attempt(() => services.registration.resendVerification(form.email)),
        'If this address can receive a code, a new one is on its way.',
      );
      return renderPage(kit, request, reply, {
        title: 'Confirm your email',
        body: verifyEmailView({ ...state, ...notes }),
        status,
      });
    });

    await app.register(recoveryPages(kit));

    app.post('/logout', page, async (request, reply) => {
      const form = formFields(request.body, ['return_to']);
      const next = destination(request, reply, form.return_to);
      if (next === undefined) return reply;
      if (request.principal) await services.sessions.endSession(request.principal, 'logout');
      cookies.clearSession(reply);
      return seeOther(reply, next ?? '/login?signed_out=1');
    });
  };
}
