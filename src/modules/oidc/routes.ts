import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { OpenIdService } from './service.js';

const mountPath = '/oidc';

/**
 * The OpenID provider's endpoints (discovery, authorization, token, userinfo,
 * JWKS, revocation, introspection, PAR, logout) under /oidc, handed to
 * oidc-provider as they arrive. Encapsulated without body parsers: the
 * provider reads its own bodies. The interaction pages (/oidc/interaction/…)
 * are hosted pages, registered with the others.
 */
export function openIdRoutes(openid: OpenIdService) {
  const handlers = new WeakMap<Provider, (req: IncomingMessage, res: ServerResponse) => void>();

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const provider = await openid.current();
    let handle = handlers.get(provider);
    if (!handle) {
      handle = provider.callback();
      handlers.set(provider, handle);
    }
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    // As a mounted app sees it: the path below the mount, and the whole one where it builds URLs.
    raw.originalUrl = raw.url;
    raw.url = raw.url?.slice(mountPath.length) || '/';
    reply.hijack();
    handle(raw, reply.raw);
  }

  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const options = { schema: { hide: true } };
    // Each authorization request (and pushed one) stores an object until it expires: counted per address.
    const authorization = { ...options, config: { rateLimit: { group: 'oidc-authorize' } } };
    app.route({ method: ['GET', 'POST'], url: `${mountPath}/auth`, ...authorization, handler: forward });
    app.post(`${mountPath}/request`, authorization, forward);
    app.all(mountPath, options, forward);
    app.all(`${mountPath}/*`, options, forward);
  };
}
