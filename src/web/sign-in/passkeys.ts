import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { clientOf } from '../../http/authenticate.js';
import { browserDevice } from '../browser.js';
import { attempt } from '../error-messages.js';
import type { PageKit } from '../kit.js';
import { createSignInConclusion, type SignInOutcome } from './conclude.js';

const page = { schema: { hide: true } };

/** Signing in with a passkey on the pages, first step or second: JSON for the page's script. */
export function signInPasskeyPages(kit: PageKit): FastifyPluginAsync {
  const { services, cookies, returnTo } = kit;
  const concludeSignIn = createSignInConclusion(kit);

  return async (app) => {
    // The passkey ceremonies run in the page's script (WebAuthn needs one) and answer JSON: where to go next.
    const passkeyAnswer = async (
      reply: FastifyReply,
      outcome: Awaited<ReturnType<typeof attempt<SignInOutcome>>>,
      next: string | null,
    ) => {
      if (!outcome.ok) return reply.code(outcome.error.statusCode).send({ message: outcome.sentence });
      return { redirect: await concludeSignIn(reply, outcome.value, next) };
    };

    app.post(
      '/login/passkey',
      { ...page, config: { rateLimit: { group: 'passkey-login' } } },
      async (request, reply) => {
        const body = (request.body ?? {}) as { challengeId?: unknown; response?: unknown; return_to?: unknown };
        const next = returnTo.check(body.return_to);
        if (
          next === 'refused' ||
          typeof body.challengeId !== 'string' ||
          typeof body.response !== 'object' ||
          body.response === null
        ) {
          return reply
            .code(400)
            .send({ message: 'The passkey answer could not be read. Reload the page and try again.' });
        }
        const outcome = await attempt(() =>
          services.passkeys.signIn(
            {
              challengeId: body.challengeId as string,
              response: body.response as never,
              deviceInfo: browserDevice(request),
            },
            clientOf(request),
          ),
        );
        return passkeyAnswer(reply, outcome, next);
      },
    );

    app.post(
      '/login/2fa/passkey/options',
      { ...page, config: { rateLimit: { group: 'passkey-options' } } },
      async (request, reply) => {
        const mfaToken = cookies.pendingChallenge(request);
        const outcome = mfaToken ? await attempt(() => services.twoFactor.passkeyOptions(mfaToken)) : null;
        if (!outcome?.ok)
          return reply.code(401).send({ message: 'Signing in took too long. Start again with your password.' });
        return outcome.value;
      },
    );

    app.post(
      '/login/2fa/passkey',
      { ...page, config: { rateLimit: { group: '2fa-verify' } } },
      async (request, reply) => {
        const body = (request.body ?? {}) as { challengeId?: unknown; response?: unknown; return_to?: unknown };
        const mfaToken = cookies.pendingChallenge(request);
        const next = returnTo.check(body.return_to);
        if (
          !mfaToken ||
          next === 'refused' ||
          typeof body.challengeId !== 'string' ||
          typeof body.response !== 'object'
        ) {
          return reply
            .code(400)
            .send({ message: 'The passkey answer could not be read. Start again with your password.' });
        }
        const passkey = { challengeId: body.challengeId, response: body.response as never };
        const outcome = await attempt(() =>
          services.twoFactor.completeChallenge(mfaToken, { passkey }, browserDevice(request), clientOf(request)),
        );
        return passkeyAnswer(reply, outcome, next);
      },
    );
  };
}
