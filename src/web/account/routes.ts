import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedPrincipal } from '../../core/account.js';
import { clientOf } from '../../http/authenticate.js';
import { presentSession } from '../../modules/sessions/presenter.js';
import { passwordMaxLength, passwordMinLength } from '../../platform/password.js';
import type { FieldErrors } from '../components.js';
import { attempt } from '../error-messages.js';
import { actorOf, formFields, type PageKit, type PageNotes, renderPage, seeOther } from '../kit.js';
import {
  deletedView,
  deleteView,
  historyView,
  passkeysView,
  passwordView,
  phoneCodeView,
  profileView,
  recoveryCodesView,
  sessionsView,
  totpSetupView,
  twoFactorView,
} from './views.js';

const page = { schema: { hide: true } };
const historyPageSize = 25;
const phonePattern = /^\+[1-9][0-9]{6,14}$/;

/** The signed-in caller of an account page (the plugin's hook has sent everyone else to /login). */
function principalOf(request: FastifyRequest): AuthenticatedPrincipal {
  if (!request.principal) throw new Error('account page reached without a browser session');
  return request.principal;
}

/**
 * The self-service account pages: profile and phone, password, two-step
 * verification, devices, sign-in history, deletion. Each action is the API's
 * service call for the signed-in browser session.
 */
export function accountPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf, cookies } = kit;

  const show = (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: ReturnType<typeof profileView>,
    status = 200,
    wide = false,
  ) => renderPage(kit, request, reply, { title, body, status, wide });

  async function profilePage(request: FastifyRequest, reply: FastifyReply, extra: PageNotes = {}, status = 200) {
    const { user } = principalOf(request).account;
    const profile = {
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      phoneNumber: user.phoneNumber,
      phoneVerified: user.phoneVerifiedAt !== null,
    };
    const hasPasskeys = (await services.passkeys.countPasskeys(user.id)) > 0;
    return show(
      request,
      reply,
      'Your account',
      profileView({ csrf: csrf.tokenFor(request), profile, hasPasskeys, ...extra }),
      status,
    );
  }

  async function twoFactorPage(request: FastifyRequest, reply: FastifyReply, extra: PageNotes = {}, status = 200) {
    const { user } = principalOf(request).account;
    const methods = [...(user.totpEnabledAt ? ['totp'] : []), ...(user.smsMfaEnabledAt ? ['sms'] : [])];
    return show(
      request,
      reply,
      'Two-step verification',
      twoFactorView({ csrf: csrf.tokenFor(request), methods, ...extra }),
      status,
    );
  }

  async function sessionsPage(request: FastifyRequest, reply: FastifyReply, news?: string) {
    const principal = principalOf(request);
    const list = await services.sessions.listSessions(principal.userId);
    const sessions = list.map((session) => presentSession(session, principal.sessionId));
    return show(request, reply, 'Devices', sessionsView({ csrf: csrf.tokenFor(request), sessions, news }), 200, true);
  }

  return async (app) => {
    // Every account page needs a live browser session; without one, sign in and come back.
    app.addHook('preHandler', async (request, reply) => {
      if (request.principal) return;
      const back = request.method === 'GET' ? request.url : '/account';
      return seeOther(reply, `/login?return_to=${encodeURIComponent(back)}`);
    });

    app.get('/account', page, (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const news =
        query.saved === '1'
          ? 'Your profile was saved.'
          : query.phone === 'verified'
            ? 'Your phone number is verified.'
            : undefined;
      return profilePage(request, reply, news ? { news } : {});
    });

    app.post('/account/profile', page, async (request, reply) => {
      const form = formFields(request.body, ['firstName', 'lastName', 'phoneNumber']);
      const errors: FieldErrors = {};
      const phoneNumber = form.phoneNumber.replace(/[\s()-]/g, '');
      if (phoneNumber && !phonePattern.test(phoneNumber))
        errors.phoneNumber = 'Write the number with its country code, like +14155550123.';
      for (const name of ['firstName', 'lastName'] as const) {
        if (form[name].length > 100) errors[name] = 'Use at most 100 characters.';
      }
      if (Object.keys(errors).length > 0) return profilePage(request, reply, { errors }, 400);
      const { user } = principalOf(request).account;
      const update = {
        ...(form.firstName.trim() ? { firstName: form.firstName } : {}),
        ...(form.lastName.trim() ? { lastName: form.lastName } : {}),
        ...((phoneNumber || null) !== user.phoneNumber ? { phoneNumber: phoneNumber || null } : {}),
      };
      if (Object.keys(update).length > 0) {
        const outcome = await attempt(() => services.profiles.updateOwnProfile(principalOf(request).userId, update));
        if (!outcome.ok) {
          return profilePage(request, reply, { errors: { phoneNumber: outcome.sentence } }, outcome.error.statusCode);
        }
      }
      return seeOther(reply, '/account?saved=1');
    });

    app.post(
      '/account/phone/send',
      { ...page, config: { rateLimit: { group: 'code-send' } } },
      async (request, reply) => {
        const outcome = await attempt(() =>
          services.otp.send({ channel: 'sms', purpose: 'verify_phone' }, principalOf(request)),
        );
        if (!outcome.ok) return profilePage(request, reply, { problem: outcome.sentence }, outcome.error.statusCode);
        return seeOther(reply, '/account/phone');
      },
    );

    app.get('/account/phone', page, async (request, reply) => {
      const { phoneNumber } = principalOf(request).account.user;
      if (!phoneNumber) return seeOther(reply, '/account');
      return show(request, reply, 'Verify your phone', phoneCodeView({ csrf: csrf.tokenFor(request), phoneNumber }));
    });

    app.post('/account/phone', { ...page, config: { rateLimit: { group: 'code-verify' } } }, async (request, reply) => {
      const { code } = formFields(request.body, ['code']);
      const phoneNumber = principalOf(request).account.user.phoneNumber ?? '';
      const outcome = /^[0-9]{6}$/.test(code.trim())
        ? await attempt(() =>
            services.otp.verify(
              { channel: 'sms', purpose: 'verify_phone', code: code.trim() },
              principalOf(request),
              clientOf(request),
            ),
          )
        : null;
      if (outcome?.ok) return seeOther(reply, '/account?phone=verified');
      const errors = { code: outcome ? outcome.sentence : 'Enter the 6 digits from the text message.' };
      return show(
        request,
        reply,
        'Verify your phone',
        phoneCodeView({ csrf: csrf.tokenFor(request), phoneNumber, errors }),
        outcome ? outcome.error.statusCode : 400,
      );
    });

    app.get('/account/password', page, (request, reply) =>
      show(request, reply, 'Change your password', passwordView({ csrf: csrf.tokenFor(request) })),
    );

    app.post('/account/password', page, async (request, reply) => {
      const form = formFields(request.body, ['currentPassword', 'newPassword']);
      const errors: FieldErrors = {};
      if (!form.currentPassword) errors.currentPassword = 'Enter your current password.';
      if (form.newPassword.length < passwordMinLength)
        errors.newPassword = `Use at least ${passwordMinLength} characters.`;
      else if (form.newPassword.length > passwordMaxLength)
        errors.newPassword = `Use at most ${passwordMaxLength} characters.`;
      if (Object.keys(errors).length === 0) {
        const outcome = await attempt(() =>
          services.passwords.changePassword(principalOf(request), form.currentPassword, form.newPassword),
        );
        if (outcome.ok) {
          return show(
            request,
            reply,
            'Change your password',
            passwordView({
              csrf: csrf.tokenFor(request),
              news: 'Your password was changed. Your other devices were signed out.',
            }),
          );
        }
        if (outcome.error.code === 'INVALID_PASSWORD') errors.currentPassword = outcome.sentence;
        else errors.newPassword = outcome.sentence;
      }
      return show(request, reply, 'Change your password', passwordView({ csrf: csrf.tokenFor(request), errors }), 400);
    });

    app.get('/account/two-factor', page, (request, reply) =>
      twoFactorPage(
        request,
        reply,
        (request.query as Record<string, unknown>).off === '1' ? { news: 'Two-step verification is off.' } : {},
      ),
    );

    app.post('/account/two-factor/totp', page, async (request, reply) => {
      const { password } = formFields(request.body, ['password']);
      const outcome = await attempt(() => services.twoFactor.beginEnrollment(principalOf(request), 'totp', password));
      if (!outcome.ok)
        return twoFactorPage(request, reply, { errors: { password: outcome.sentence } }, outcome.error.statusCode);
      if (outcome.value.method !== 'totp') throw new Error('TOTP enrollment answered for another method');
      const { secret, qrCode } = outcome.value;
      return show(
        request,
        reply,
        'Set up your authenticator app',
        totpSetupView({ csrf: csrf.tokenFor(request), secret, qrCode }),
      );
    });

    app.post('/account/two-factor/totp/confirm', page, async (request, reply) => {
      const { code } = formFields(request.body, ['code']);
      const outcome = await attempt(() =>
        services.twoFactor.confirmEnrollment(principalOf(request), { method: 'totp', code: code.trim() }),
      );
      if (outcome.ok) {
        return show(
          request,
          reply,
          'Your recovery codes',
          recoveryCodesView({
            csrf: csrf.tokenFor(request),
            codes: outcome.value.recoveryCodes,
            news: 'Two-step verification is on.',
          }),
        );
      }
      if (outcome.error.code === 'TWO_FACTOR_NOT_PENDING')
        return twoFactorPage(request, reply, { problem: outcome.sentence }, 400);
      // The pending secret stays as it was: show the same QR code again with the error.
      const again = await attempt(() => services.twoFactor.pendingTotp(principalOf(request)));
      if (!again.ok || !again.value) return twoFactorPage(request, reply, { problem: outcome.sentence }, 400);
      return show(
        request,
        reply,
        'Set up your authenticator app',
        totpSetupView({ csrf: csrf.tokenFor(request), ...again.value, errors: { code: outcome.sentence } }),
        400,
      );
    });

    app.post('/account/two-factor/recovery-codes', page, async (request, reply) => {
      const { password } = formFields(request.body, ['password']);
      const outcome = await attempt(() => services.twoFactor.regenerateRecoveryCodes(principalOf(request), password));
      if (!outcome.ok)
        return twoFactorPage(request, reply, { errors: { password: outcome.sentence } }, outcome.error.statusCode);
      return show(
        request,
        reply,
        'Your recovery codes',
        recoveryCodesView({
          csrf: csrf.tokenFor(request),
          codes: outcome.value.recoveryCodes,
          news: 'New recovery codes are ready; the old ones no longer work.',
        }),
      );
    });

    app.post('/account/two-factor/disable', page, async (request, reply) => {
      const form = formFields(request.body, ['password', 'code']);
      const code = form.code.trim();
      const factor = /^[0-9]{6}$/.test(code) ? { code } : { recoveryCode: code };
      const outcome = await attempt(() => services.twoFactor.disable(principalOf(request), form.password, factor));
      if (!outcome.ok) {
        const field = outcome.error.code === 'INVALID_PASSWORD' ? 'password' : 'code';
        return twoFactorPage(request, reply, { errors: { [field]: outcome.sentence } }, outcome.error.statusCode);
      }
      return seeOther(reply, '/account/two-factor?off=1');
    });

    async function passkeysPage(request: FastifyRequest, reply: FastifyReply, extra: PageNotes = {}, status = 200) {
      const { passkeys } = await services.passkeys.list(principalOf(request).userId);
      return show(
        request,
        reply,
        'Passkeys',
        passkeysView({ csrf: csrf.tokenFor(request), passkeys, ...extra }),
        status,
      );
    }

    const passkeyNews: Record<string, string> = {
      added: 'Your passkey was added. Next time, sign in with it.',
      renamed: 'The passkey was renamed.',
      removed: 'The passkey was removed.',
    };

    app.get('/account/passkeys', page, (request, reply) => {
      const done = (request.query as Record<string, unknown>).done;
      const news = typeof done === 'string' ? passkeyNews[done] : undefined;
      return passkeysPage(request, reply, news ? { news } : {});
    });

    // The registration ceremony runs in the page's script (WebAuthn needs one): JSON in and out.
    app.post(
      '/account/passkeys/options',
      { ...page, config: { rateLimit: { group: 'passkey-options' } } },
      async (request, reply) => {
        const { password } = (request.body ?? {}) as { password?: unknown };
        const outcome = await attempt(() =>
          services.passkeys.registrationOptions(
            principalOf(request),
            typeof password === 'string' && password ? password : undefined,
          ),
        );
        if (!outcome.ok) return reply.code(outcome.error.statusCode).send({ message: outcome.sentence });
        return outcome.value;
      },
    );

    app.post('/account/passkeys', page, async (request, reply) => {
      const body = (request.body ?? {}) as { response?: unknown; name?: unknown };
      if (typeof body.response !== 'object' || body.response === null) {
        return reply
          .code(400)
          .send({ message: 'The passkey answer could not be read. Reload the page and try again.' });
      }
      const name = typeof body.name === 'string' && body.name.trim() ? body.name.trim().slice(0, 100) : undefined;
      const outcome = await attempt(() =>
        services.passkeys.verifyRegistration(principalOf(request), body.response as never, name),
      );
      if (!outcome.ok) return reply.code(outcome.error.statusCode).send({ message: outcome.sentence });
      return { redirect: '/account/passkeys?done=added' };
    });

    app.post('/account/passkeys/:id/rename', page, async (request, reply) => {
      const { id } = request.params as { id: string };
      const { name } = formFields(request.body, ['name']);
      if (!name.trim() || name.length > 100)
        return passkeysPage(request, reply, { problem: 'Give the passkey a name of 1 to 100 characters.' }, 400);
      const outcome = await attempt(() => services.passkeys.rename(principalOf(request), id, name));
      if (!outcome.ok) return passkeysPage(request, reply, { problem: outcome.sentence }, outcome.error.statusCode);
      return seeOther(reply, '/account/passkeys?done=renamed');
    });

    app.post('/account/passkeys/:id/remove', page, async (request, reply) => {
      const { id } = request.params as { id: string };
      const { password } = formFields(request.body, ['password']);
      const outcome = await attempt(() => services.passkeys.remove(principalOf(request), id, password || undefined));
      if (!outcome.ok) return passkeysPage(request, reply, { problem: outcome.sentence }, outcome.error.statusCode);
      return seeOther(reply, '/account/passkeys?done=removed');
    });

    app.get('/account/sessions', page, (request, reply) => sessionsPage(request, reply));

    app.post('/account/sessions/:sessionId/end', page, async (request, reply) => {
      const { sessionId } = request.params as { sessionId: string };
      const principal = principalOf(request);
      const ended =
        /^[0-9a-f-]{36}$/.test(sessionId) &&
        (await services.sessions.endSession({ userId: principal.userId, sessionId }, 'revoked_by_user'));
      return sessionsPage(
        request,
        reply,
        ended ? 'That device was signed out.' : 'That device was already signed out.',
      );
    });

    app.post('/account/sessions/end-others', page, async (request, reply) => {
      const principal = principalOf(request);
      const count = await services.sessions.endAllSessions(principal.userId, {
        actorUserId: principal.userId,
        reason: 'logout_others',
        keepSessionId: principal.sessionId,
      });
      return sessionsPage(request, reply, `${count} other device${count === 1 ? ' was' : 's were'} signed out.`);
    });

    app.get('/account/history', page, async (request, reply) => {
      const offsetText = (request.query as Record<string, unknown>).offset;
      const offset = typeof offsetText === 'string' && /^[0-9]{1,6}$/.test(offsetText) ? Number(offsetText) : 0;
      const { total, logins } = await services.activity.listLogins(
        principalOf(request).userId,
        historyPageSize,
        offset,
      );
      return show(
        request,
        reply,
        'Sign-in history',
        historyView({ csrf: csrf.tokenFor(request), logins, total, offset, pageSize: historyPageSize }),
        200,
        true,
      );
    });

    app.get('/account/delete', page, (request, reply) =>
      show(request, reply, 'Delete your account', deleteView({ csrf: csrf.tokenFor(request) })),
    );

    app.post('/account/delete', page, async (request, reply) => {
      const { password } = formFields(request.body, ['password']);
      const principal = principalOf(request);
      const outcome = await attempt(() =>
        services.userAdmin.deleteUser(actorOf(principal), principal.userId, password),
      );
      if (!outcome.ok) {
        return show(
          request,
          reply,
          'Delete your account',
          deleteView({ csrf: csrf.tokenFor(request), errors: { password: outcome.sentence } }),
          outcome.error.statusCode,
        );
      }
      cookies.clearSession(reply);
      request.principal = null;
      return show(request, reply, 'Account deleted', deletedView());
    });
  };
}
