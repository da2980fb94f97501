import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { attempt } from '../error-messages.js';
import { formFields, type PageKit, type PageNotes, seeOther } from '../kit.js';
import { accountShow, page, principalOf } from './common.js';
import { passkeysView } from './passkeys-view.js';

/** Passkeys on the account page: the list, rename, remove, and the registration ceremony (JSON, for the page's script). */
export function accountPasskeyPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf } = kit;
  const show = accountShow(kit);

  return async (app) => {
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
  };
}
