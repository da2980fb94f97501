import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { clientOf } from '../../http/authenticate.js';
import { browserDevice } from '../browser.js';
import { type PageKit, renderPage, seeOther } from '../kit.js';
import { createSignInConclusion } from '../sign-in/conclude.js';
import { refusedReturnView } from '../sign-in/views.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A provider's answer: posted cross-site (Apple's form_post), protected by its `state`, not the CSRF token. */
    providerCallback?: boolean;
  }
}

const page = { schema: { hide: true } };

/** A posted form's string fields; anything else (a JSON array, nested values) is not a provider's answer. */
function formOf(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
const providerId = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * The browser side of federated sign-in: the redirect to the provider, its
 * callback (which signs the browser in, with the second step on our page
 * when the account has one), and the hand-off of a one-time code to an app
 * whose `return_to` is on another allowed origin.
 */
export function federationPages(kit: PageKit): FastifyPluginAsync {
  const { services, cookies, returnTo, config } = kit;
  const concludeSignIn = createSignInConclusion(kit);
  const ownOrigin = new URL(config.publicUrl).origin;

  function providerOf(request: FastifyRequest): string {
    const { provider } = request.params as { provider: string };
    return providerId.test(provider) ? provider : '-';
  }

  return async (app) => {
    app.get(
      '/auth/oauth/:provider',
      { ...page, config: { rateLimit: { group: 'oauth-start' } } },
      async (request, reply) => {
        const raw = (request.query as Record<string, unknown>).return_to;
        const next = returnTo.check(raw);
        if (next === 'refused') {
          return renderPage(kit, request, reply, {
            title: 'Link refused',
            body: refusedReturnView(String(raw)),
            status: 400,
          });
        }
        const challenge = (request.query as Record<string, unknown>).code_challenge;
        if (challenge !== undefined && (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))) {
          throw new AppError('VALIDATION_FAILED', {
            message: 'code_challenge must be the base64url SHA-256 of the verifier (43 characters)',
          });
        }
        const { url, state } = await services.federation.begin(providerOf(request), {
          returnTo: next,
          deviceId: request.browserDeviceId,
          appCodeChallenge: challenge,
        });
        cookies.setOauthState(reply, state);
        return reply.redirect(url, 303);
      },
    );

    async function callback(request: FastifyRequest, reply: FastifyReply, parameters: URLSearchParams) {
      const browserState = cookies.oauthState(request);
      cookies.clearOauthState(reply);
      const result = await services.federation
        .callback(providerOf(request), parameters, browserState, browserDevice(request), clientOf(request))
        .catch((error: unknown) => {
          // The person sees a sentence; the operator needs the provider's own reason (a wrong secret, a
          // clock skew). Only the reason: the cause of a failed claim check carries the token's claims.
          if (error instanceof AppError && error.cause instanceof Error) {
            request.log.warn(
              { provider: providerOf(request), code: error.code, reason: error.cause.message },
              'federated sign-in refused',
            );
          }
          throw error;
        });
      if (result.kind === 'linked') return seeOther(reply, '/account/identities?done=linked');
      let next = result.returnTo;
      if (next && new URL(next, ownOrigin).origin !== ownOrigin) {
        // An app's address: once this browser is signed in (second step included), it carries a code there.
        cookies.setHandoff(
          reply,
          await services.federation.issueHandoff(result.user.id, result.provider.id, next, result.appCodeChallenge),
        );
        next = '/auth/oauth/handoff';
      }
      return seeOther(reply, await concludeSignIn(reply, result.outcome, next));
    }

    const callbackRoute = { ...page, config: { providerCallback: true, rateLimit: { group: 'oauth-callback' } } };
    app.get('/auth/oauth/:provider/callback', callbackRoute, (request, reply) =>
      callback(request, reply, new URLSearchParams(request.query as Record<string, string>)),
    );
    // Apple (response_mode=form_post) answers with a form post.
    app.post('/auth/oauth/:provider/callback', callbackRoute, (request, reply) =>
      callback(request, reply, new URLSearchParams(formOf(request.body))),
    );

    app.get('/auth/oauth/handoff', page, async (request, reply) => {
      const ticket = cookies.handoff(request);
      cookies.clearHandoff(reply);
      if (!request.principal || !ticket) return seeOther(reply, '/login');
      const { code, returnTo: destination } = await services.federation.redeemHandoff(ticket, request.principal.userId);
      const target = new URL(destination);
      target.searchParams.set('code', code);
      return seeOther(reply, target.href);
    });
  };
}
