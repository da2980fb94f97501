import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { BrowserFacts, OpenIdService } from './service.js';

const mountPath = '/oidc';
// The routes where a person's browser is present (authorization, its resumption, sign-out): there the
// provider's session counts only if it is this browser's Gatehouse session.
const browserPaths = /^\/oidc\/(auth|session\/end)(\/|\?|$)/i;

/**
 * The OpenID provider's endpoints (discovery, authorization, token, userinfo,
 * JWKS, revocation, introspection, PAR, logout) under /oidc, handed to
 * oidc-provider as they arrive. Encapsulated without body parsers: the
 * provider reads its own bodies. The interaction pages (/oidc/interaction/…)
 * are hosted pages, registered with the others.
 */
export function openIdRoutes(
  openid: OpenIdService,
  publicUrl: string,
  identifyBrowser: (request: FastifyRequest) => Promise<Omit<BrowserFacts, 'ipAddress'>>,
) {
  const canonical = new URL(publicUrl);
  const handlers = new WeakMap<Provider, (req: IncomingMessage, res: ServerResponse) => void>();

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const provider = await openid.current();
    let handle = handlers.get(provider);
    if (!handle) {
      handle = provider.callback();
      handlers.set(provider, handle);
    }
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    // The provider builds every address it publishes (discovery, redirects) from the request: it is made
    // to see PUBLIC_URL, whatever Host or X-Forwarded-* the client sent (a forged one would otherwise be
    // reflected into the discovery document).
    raw.headers.host = canonical.host;
    raw.headers['x-forwarded-proto'] = canonical.protocol.slice(0, -1);
    delete raw.headers['x-forwarded-host'];
    openid.remember(raw, {
      ipAddress: request.ip,
      ...(browserPaths.test(raw.url ?? '') ? await identifyBrowser(request) : {}),
    });
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
