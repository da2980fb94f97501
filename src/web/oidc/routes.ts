import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { formFields, type PageKit, renderPage, seeOther } from '../kit.js';
import { consentView, continueView, interactionExpiredView } from './views.js';

const page = { schema: { hide: true } };
const uidPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The OpenID provider's interactions as hosted pages: its login is our
 * sign-in (the browser's Gatehouse session, so one sign-in serves every
 * app), its consent is our consent page. Each step ends in a new navigation
 * back to the provider (see continueView).
 */
export function openIdPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf } = kit;
  const openid = services.openid;

  async function interactionOf(request: FastifyRequest, reply: FastifyReply) {
    const { uid } = request.params as { uid: string };
    if (!uidPattern.test(uid)) return null;
    try {
      const interaction = await openid.interaction(request.raw, reply.raw, request.principal ?? null);
      return interaction.uid === uid ? interaction : null;
    } catch {
      // oidc-provider's SessionNotFound: no interaction cookie, or the interaction expired.
      return null;
    }
  }

  const expired = (request: FastifyRequest, reply: FastifyReply) =>
    renderPage(kit, request, reply, { title: 'Sign-in expired', status: 400, body: interactionExpiredView() });

  async function continueToProvider(reply: FastifyReply, request: FastifyRequest, clientId: string, url: string) {
    const client = await openid.clientName(clientId);
    reply.header('refresh', `0;url=${url}`);
    return renderPage(kit, request, reply, { title: 'Signing you in', body: continueView(client?.name ?? null, url) });
  }

  return async (app) => {
    app.get('/oidc/interaction/:uid', page, async (request, reply) => {
      const interaction = await interactionOf(request, reply);
      if (!interaction) return expired(request, reply);
      const { uid, prompt, params } = interaction;
      const clientId = String(params.client_id);
      const principal = request.principal;

      if (prompt.name === 'login') {
        // Asked for a sign-in again after we gave one (an id_token_hint for another account): say so to the app.
        if (interaction.lastSubmission?.login) {
          return continueToProvider(
            reply,
            request,
            clientId,
            await openid.refuse(
              request.raw,
              reply.raw,
              'login_required',
              'The signed-in account is not the one the app asked for',
            ),
          );
        }
        // prompt=login, or a sign-in older than max_age: only a sign-in made after we asked for it will do.
        const fresh = prompt.reasons.includes('login_prompt') || prompt.reasons.includes('max_age');
        const askedAt = (interaction.result as { signInAskedAt?: number } | undefined)?.signInAskedAt;
        const signedInSinceAsked = principal && askedAt !== undefined && principal.signedInAt.getTime() > askedAt;
        // max_age alone (no prompt=login): the provider had no sign-in time to judge; the session's own will do.
        const maxAge = Number(params.max_age);
        const youngEnough =
          principal &&
          !prompt.reasons.includes('login_prompt') &&
          Number.isFinite(maxAge) &&
          Date.now() - principal.signedInAt.getTime() <= maxAge * 1000;
        if (principal && (!fresh || signedInSinceAsked || youngEnough)) {
          const next = await openid.completeSignIn(request.raw, reply.raw, principal);
          return continueToProvider(reply, request, clientId, next);
        }
        if (fresh && askedAt === undefined) await openid.askForNewSignIn(request.raw, reply.raw);
        const back = encodeURIComponent(`/oidc/interaction/${uid}`);
        const app = encodeURIComponent(clientId);
        return seeOther(reply, `/login?return_to=${back}&app=${app}${fresh ? '&prompt=login' : ''}`);
      }

      if (prompt.name === 'consent') {
        if (!principal || String(principal.userId) !== interaction.session?.accountId) return expired(request, reply);
        const client = await openid.clientName(clientId);
        const asked = String(params.prompt ?? '')
          .split(' ')
          .includes('consent');
        if (client?.firstParty && !asked) {
          return continueToProvider(
            reply,
            request,
            clientId,
            await openid.grantConsent(request.raw, reply.raw, principal.userId),
          );
        }
        const details = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
        return renderPage(kit, request, reply, {
          title: `Allow ${client?.name ?? 'this app'}?`,
          body: consentView({
            clientName: client?.name ?? clientId,
            email: principal.account.user.email,
            scopes: details.missingOIDCScope ?? [],
            claims: details.missingOIDCClaims ?? [],
            action: `/oidc/interaction/${uid}`,
            csrf: csrf.tokenFor(request),
          }),
        });
      }
      return expired(request, reply);
    });

    app.post('/oidc/interaction/:uid', page, async (request, reply) => {
      const interaction = await interactionOf(request, reply);
      const principal = request.principal;
      if (interaction?.prompt.name !== 'consent' || !principal) return expired(request, reply);
      // The consent is the signed-in person's, for the account the provider signed in: nobody else's.
      if (String(principal.userId) !== interaction.session?.accountId) return expired(request, reply);
      const clientId = String(interaction.params.client_id);
      const { decision } = formFields(request.body, ['decision']);
      const next =
        decision === 'allow'
          ? await openid.grantConsent(request.raw, reply.raw, principal.userId)
          : await openid.refuse(request.raw, reply.raw, 'access_denied', 'The user refused access');
      return continueToProvider(reply, request, clientId, next);
    });
  };
}
