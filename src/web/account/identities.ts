import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { attempt } from '../error-messages.js';
import { formFields, type PageKit, type PageNotes, seeOther } from '../kit.js';
import { accountShow, page, principalOf } from './common.js';
import { continueToProviderView, identitiesView } from './identities-view.js';

/** Linked sign-ins on the account page: the list, unlink, and linking another through its provider. */
export function accountIdentityPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf, cookies } = kit;
  const show = accountShow(kit);

  return async (app) => {
    async function identitiesPage(request: FastifyRequest, reply: FastifyReply, notes: PageNotes = {}, status = 200) {
      const principal = principalOf(request);
      const identities = await services.federation.listIdentities(principal.userId);
      const providers = await services.federation.listProviders();
      const linked = new Set(identities.map((identity) => identity.provider));
      return show(
        request,
        reply,
        'Linked sign-ins',
        identitiesView({
          csrf: csrf.tokenFor(request),
          identities,
          available: providers.filter((provider) => !linked.has(provider.id)),
          hasPassword: await services.federation.hasPassword(principal.userId),
          ...notes,
        }),
        status,
      );
    }

    const news: Record<string, string> = {
      linked: 'The sign-in was linked. You can use it next time.',
      unlinked: 'The sign-in was unlinked.',
    };

    app.get('/account/identities', page, (request, reply) => {
      const done = (request.query as Record<string, unknown>).done;
      const sentence = typeof done === 'string' ? news[done] : undefined;
      return identitiesPage(request, reply, sentence ? { news: sentence } : {});
    });

    app.post(
      '/account/identities/link',
      { ...page, config: { rateLimit: { group: 'oauth-start' } } },
      async (request, reply) => {
        const { provider, password } = formFields(request.body, ['provider', 'password']);
        const outcome = await attempt(() =>
          services.federation.beginLink(principalOf(request), provider, password || undefined, request.browserDeviceId),
        );
        if (!outcome.ok) return identitiesPage(request, reply, { problem: outcome.sentence }, outcome.error.statusCode);
        cookies.setOauthState(reply, outcome.value.state);
        // Not a redirect: the page's CSP (form-action) rightly stops a form from leading to another site.
        // A new navigation does not carry the form's restriction; the link is there if the refresh is not followed.
        reply.header('refresh', `0;url=${outcome.value.url}`);
        return show(request, reply, 'Linking', continueToProviderView(outcome.value.url));
      },
    );

    app.post(
      '/account/identities/:id/unlink',
      { ...page, config: { rateLimit: { group: 'identity-unlink' } } },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const { password } = formFields(request.body, ['password']);
        const outcome = await attempt(() =>
          services.federation.unlink(principalOf(request), id, password || undefined),
        );
        if (!outcome.ok) return identitiesPage(request, reply, { problem: outcome.sentence }, outcome.error.statusCode);
        return seeOther(reply, '/account/identities?done=unlinked');
      },
    );
  };
}
