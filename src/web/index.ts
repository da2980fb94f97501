import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../compose.js';
import { html } from '../core/html.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { accountPages } from './account/routes.js';
import { createBrowserCookies, createBrowserIdentity, createCsrf } from './browser.js';
import { consolePages } from './console/routes.js';
import { sentenceFor } from './error-messages.js';
import { federationPages } from './federation/routes.js';
import { type PageKit, renderPage } from './kit.js';
import { openIdPages } from './oidc/routes.js';
import { providerViews } from './oidc/views.js';
import { createReturnTo } from './return-to.js';
import { signInPages } from './sign-in/routes.js';

const assetsFolder = fileURLToPath(new URL('./assets', import.meta.url));
// @simplewebauthn/browser's browser build, served from our origin (no CDN; the CSP allows only 'self').
const webauthnBrowserBundle = join(
  dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')),
  '../dist/bundle/index.umd.min.js',
);

/**
 * Strict CSP: scripts and styles only from our origin (no inline code at
 * all), images from us, data: URLs (the TOTP QR code) and the brand's logo,
 * forms may post to us and land on the allowed return origins, no framing.
 */
function contentSecurityPolicy(logoUrl: string | undefined, returnOrigins: readonly string[]): string {
  const images = ["'self'", 'data:', ...(logoUrl ? [new URL(logoUrl).origin] : [])];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${images.join(' ')}`,
    "connect-src 'self'",
    `form-action 'self' ${returnOrigins.join(' ')}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * The hosted pages: sign-in, sign-up, verification, recovery, second factor
 * and the account page, server-rendered over the same services as the API.
 * Encapsulated: cookies, form bodies and the page CSP apply here only.
 */
export async function registerPages(app: FastifyInstance, platform: Platform, services: Services) {
  const { config, secrets } = platform;
  const returnTo = createReturnTo({ publicUrl: config.publicUrl, allowedOrigins: config.allowedReturnOrigins });
  const kit: PageKit = {
    services,
    config,
    brand: config.brand,
    cookies: createBrowserCookies({
      secure: config.publicUrl.startsWith('https:'),
      sessionTtlSeconds: config.sessionTtlSeconds,
    }),
    csrf: createCsrf(secrets, config.publicUrl),
    returnTo,
  };
  const csp = contentSecurityPolicy(
    config.brand.logoUrl,
    returnTo.allowedOrigins.filter((origin) => origin !== new URL(config.publicUrl).origin),
  );

  await app.register(async (pages) => {
    await pages.register(fastifyCookie);
    await pages.register(fastifyFormbody, { bodyLimit: 16 * 1024 });
    await pages.register(fastifyStatic, {
      root: assetsFolder,
      prefix: '/assets/',
      decorateReply: false,
      schemaHide: true,
      cacheControl: false,
    });

    const webauthnScript = await readFile(webauthnBrowserBundle, 'utf8');
    pages.get('/assets/vendor/webauthn.js', { schema: { hide: true } }, (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').send(webauthnScript),
    );

    pages.addHook('onRequest', async (request, reply) => {
      reply.header('content-security-policy', csp);
      // With no-referrer, browsers send `Origin: null` on our own form posts; same-origin keeps the
      // real origin for us (the CSRF check reads it) and still tells other sites nothing.
      reply.header('referrer-policy', 'same-origin');
      if (request.url.startsWith('/assets/')) {
        reply.header('cache-control', 'public, max-age=3600');
        return;
      }
      kit.cookies.ensureDevice(request, reply);
      const cookie = kit.cookies.session(request);
      if (!cookie) return;
      // Revoked, expired, locked or blacklisted: the cookie is dead, and the browser is signed out.
      request.principal = await services.sessions.authenticateBrowser(cookie);
      if (!request.principal) kit.cookies.clearSession(reply);
    });

    // Every form post carries the CSRF token and comes from our own origin, or is refused before anything runs.
    pages.addHook('preHandler', async (request, reply) => {
      // A provider's form post to its callback is cross-site by design; its `state` protects it instead.
      if (request.method !== 'POST' || request.routeOptions.config.providerCallback) return;
      const token = (request.body as Record<string, unknown> | undefined)?._csrf;
      if (kit.csrf.verify(request, token)) return;
      return renderPage(kit, request, reply, {
        title: 'Form expired',
        status: 403,
        body: html`<h1>This form has expired</h1>
<div class="alert error" role="alert"><p>For your safety the form was not sent: it was opened too long ago, in another window, or by another site. Go back, reload the page and try again.</p></div>
<p><a href="/login">Go to sign in</a></p>`,
      });
    });

    pages.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
      const refusal = error instanceof AppError ? error : null;
      if (refusal?.retryAfterSeconds !== undefined) reply.header('retry-after', String(refusal.retryAfterSeconds));
      const statusCode = refusal?.statusCode ?? (error.statusCode && error.statusCode < 500 ? error.statusCode : 500);
      if (statusCode >= 500) request.log.error({ err: error }, 'unexpected error on a page');
      const sentence = refusal
        ? sentenceFor(refusal)
        : statusCode < 500
          ? 'The form could not be read. Go back, reload the page and try again.'
          : 'Something went wrong on our side. Please try again in a moment.';
      return renderPage(kit, request, reply, {
        title: statusCode >= 500 ? 'Something went wrong' : 'That did not work',
        status: statusCode,
        body: html`<h1>${statusCode >= 500 ? 'Something went wrong' : 'That did not work'}</h1>
<div class="alert error" role="alert"><p>${sentence}</p></div>
<p><a href="${request.principal ? '/account' : '/login'}">Go back</a></p>`,
      });
    });

    await pages.register(signInPages(kit));
    await pages.register(federationPages(kit));
    await pages.register(accountPages(kit));
    await pages.register(consolePages(kit));
    await pages.register(openIdPages(kit));
  });
  // The OpenID provider draws its own few pages (errors, the sign-out question) in the same layout and CSP.
  await services.openid.start(providerViews(config.brand, csp));
  /** For the OpenID provider's mount: which browser, with which session, is asking. */
  return { identifyBrowser: createBrowserIdentity(kit.cookies, services.sessions.authenticateBrowser) };
}
