import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { clientOf } from '../../http/authenticate.js';
import { presentSession } from '../../modules/sessions/presenter.js';
import { passwordMaxLength, passwordMinLength } from '../../platform/password.js';
import type { FieldErrors } from '../components.js';
import { attempt } from '../error-messages.js';
import { actorOf, formFields, type PageKit, type PageNotes, seeOther } from '../kit.js';
import { accountShow, page, principalOf } from './common.js';
import { accountIdentityPages } from './identities.js';
import { accountPasskeyPages } from './passkeys.js';
import { accountTwoFactorPages } from './two-factor.js';
import {
  deletedView,
  deleteView,
  historyView,
  passwordView,
  phoneCodeView,
  profileView,
  sessionsView,
  setPasswordView,
} from './views.js';

const historyPageSize = 25;
const phonePattern = /^\+[1-9][0-9]{6,14}$/;

/**
 * The self-service account pages: profile and phone, password, two-step
 * verification, devices, sign-in history, deletion. Each action is the API's
 * service call for the signed-in browser session.
 */
export function accountPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf, cookies } = kit;

  const show = accountShow(kit);

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

    app.get('/account/password', page, async (request, reply) => {
      // An account made by a provider has no password to change: it sets one through the emailed link.
      if (!(await services.federation.hasPassword(principalOf(request).userId))) {
        return show(request, reply, 'Set a password', setPasswordView({ csrf: csrf.tokenFor(request) }));
      }
      return show(request, reply, 'Change your password', passwordView({ csrf: csrf.tokenFor(request) }));
    });

    app.post(
      '/account/password/set',
      { ...page, config: { rateLimit: { group: 'reset-request' } } },
      async (request, reply) => {
        const { email } = principalOf(request).account.user;
        await services.passwords.requestReset(email);
        return show(
          request,
          reply,
          'Set a password',
          setPasswordView({
            csrf: csrf.tokenFor(request),
            news: `We sent a link to ${email}. Open it to choose your password.`,
          }),
        );
      },
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

    await app.register(accountTwoFactorPages(kit));
    await app.register(accountPasskeyPages(kit));
    await app.register(accountIdentityPages(kit));

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
      // Sign-ins at apps through the OpenID provider are named by the app's current name.
      const apps = new Map((await services.oidcClients.list()).map((client) => [client.clientId, client.name]));
      return show(
        request,
        reply,
        'Sign-in history',
        historyView({ csrf: csrf.tokenFor(request), logins, total, offset, pageSize: historyPageSize, apps }),
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
