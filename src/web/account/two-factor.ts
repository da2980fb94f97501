import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { attempt } from '../error-messages.js';
import { formFields, type PageKit, type PageNotes, seeOther } from '../kit.js';
import { accountShow, page, principalOf } from './common.js';
import { recoveryCodesView, totpSetupView, twoFactorView } from './two-factor-view.js';

/** Two-step verification on the account page: authenticator app on, recovery codes, off. */
export function accountTwoFactorPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf } = kit;
  const show = accountShow(kit);

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

  return async (app) => {
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
  };
}
