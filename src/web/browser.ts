import { randomUUID } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceInfo } from '../core/client.js';
import { constantTimeEqual, type Secrets } from '../platform/secrets.js';
import { describeBrowser } from './user-agent.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser's device id (its `gatehouse_device` cookie), set on every page request. */
    browserDeviceId: string;
  }
}

export interface BrowserCookies {
  session: string;
  device: string;
  mfa: string;
  oauthState: string;
  handoff: string;
}

// Chrome caps cookie lifetimes at 400 days; the device id should live as long as the browser keeps it.
const deviceCookieSeconds = 400 * 86_400;
const mfaCookieSeconds = 300;
// As long as a redirect to a provider, and a hand-off to an app, may take.
const oauthCookieSeconds = 600;

/**
 * The cookies of the hosted pages. On https they carry the `__Host-` prefix,
 * which the browser enforces (Secure, path /, no Domain: no subdomain can set
 * or read them); on http://localhost they cannot, so they go without.
 */
export function createBrowserCookies({ secure, sessionTtlSeconds }: { secure: boolean; sessionTtlSeconds: number }) {
  const prefix = secure ? '__Host-' : '';
  const names: BrowserCookies = {
    session: `${prefix}gatehouse`,
    device: `${prefix}gatehouse_device`,
    mfa: `${prefix}gatehouse_mfa`,
    oauthState: `${prefix}gatehouse_oauth`,
    handoff: `${prefix}gatehouse_handoff`,
  };
  const options = (maxAge: number) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure, maxAge });

  return {
    names,

    /**
     * Gives a browser its device id on its first page: sessions, blacklisting and CSRF tokens hang on it.
     * Not on a provider's cross-site form post, which carries no Lax cookie from a browser that has one:
     * the flow it started knows the id, and a new cookie would replace the browser's own.
     */
    ensureDevice(request: FastifyRequest, reply: FastifyReply): void {
      const existing = request.cookies[names.device];
      if (existing && /^[0-9a-f-]{36}$/.test(existing)) {
        request.browserDeviceId = existing;
        return;
      }
      if (request.method === 'POST' && request.routeOptions.config.providerCallback) {
        request.browserDeviceId = '';
        return;
      }
      request.browserDeviceId = randomUUID();
      reply.setCookie(names.device, request.browserDeviceId, options(deviceCookieSeconds));
    },

    session: (request: FastifyRequest) => request.cookies[names.session],
    setSession: (reply: FastifyReply, value: string) =>
      reply.setCookie(names.session, value, options(sessionTtlSeconds)),
    // Deleting a __Host- cookie needs the same attributes (Secure above all) as setting it.
    clearSession: (reply: FastifyReply) => reply.clearCookie(names.session, options(0)),

    /** The single-use second-factor challenge between the password page and the code page. */
    pendingChallenge: (request: FastifyRequest) => request.cookies[names.mfa],
    setPendingChallenge: (reply: FastifyReply, mfaToken: string) =>
      reply.setCookie(names.mfa, mfaToken, options(mfaCookieSeconds)),
    clearPendingChallenge: (reply: FastifyReply) => reply.clearCookie(names.mfa, options(0)),

    /**
     * The `state` of a redirect to a provider, which the callback must bring
     * back to this same browser. SameSite=None on https: Apple answers with a
     * cross-site form post, which would not carry a Lax cookie.
     */
    oauthState: (request: FastifyRequest) => request.cookies[names.oauthState],
    setOauthState: (reply: FastifyReply, state: string) =>
      reply.setCookie(names.oauthState, state, {
        ...options(oauthCookieSeconds),
        sameSite: secure ? ('none' as const) : ('lax' as const),
      }),
    clearOauthState: (reply: FastifyReply) =>
      reply.clearCookie(names.oauthState, { ...options(0), sameSite: secure ? ('none' as const) : ('lax' as const) }),

    /** The ticket of a finished federated sign-in, for the hand-off of its code to an app. */
    handoff: (request: FastifyRequest) => request.cookies[names.handoff],
    setHandoff: (reply: FastifyReply, ticket: string) =>
      reply.setCookie(names.handoff, ticket, options(oauthCookieSeconds)),
    clearHandoff: (reply: FastifyReply) => reply.clearCookie(names.handoff, options(0)),
  };
}

export type BrowserCookieJar = ReturnType<typeof createBrowserCookies>;

/**
 * The browser behind a request outside the pages (the OpenID provider's mount, which parses no cookies):
 * its live Gatehouse session, if any, and its device.
 */
export function createBrowserIdentity(
  cookies: BrowserCookieJar,
  authenticateBrowser: (cookie: string) => Promise<{ sessionId: string } | null>,
) {
  return async (request: FastifyRequest) => {
    const jar = fastifyCookie.parse(request.headers.cookie ?? '');
    const cookie = jar[cookies.names.session];
    const deviceId = jar[cookies.names.device];
    const userAgent = request.headers['user-agent']?.slice(0, 512);
    const principal = cookie ? await authenticateBrowser(cookie) : null;
    return {
      sessionId: principal?.sessionId ?? null,
      device: {
        ...(deviceId && /^[0-9a-f-]{36}$/.test(deviceId) ? { deviceId } : {}),
        platform: 'Web',
        deviceName: describeBrowser(userAgent),
        ...(userAgent ? { userAgent } : {}),
      },
    };
  };
}

/** The device a browser signs in from, as sessions and login history record it. */
export function browserDevice(request: FastifyRequest): DeviceInfo {
  const userAgent = request.headers['user-agent']?.slice(0, 512);
  return {
    ...(request.browserDeviceId ? { deviceId: request.browserDeviceId } : {}),
    platform: 'Web',
    deviceName: describeBrowser(userAgent),
    ...(userAgent ? { userAgent } : {}),
  };
}

/**
 * CSRF protection for every form: a token bound to the browser's session (or,
 * before sign-in, to its device id) that a cross-site page cannot read, and
 * an `Origin` (or `Referer`) that must be our own when the browser sends one.
 */
export function createCsrf(secrets: Secrets, publicUrl: string) {
  // PUBLIC_URL is our origin as browsers see it (behind a TLS proxy the request itself says http);
  // the request's own origin is accepted too, for a server reached at another name (localhost, 127.0.0.1).
  const publicOrigin = new URL(publicUrl).origin;
  const bindingOf = (request: FastifyRequest) => request.principal?.sessionId ?? `device:${request.browserDeviceId}`;
  const tokenFor = (request: FastifyRequest) => secrets.mac('csrf', bindingOf(request));

  function sameOrigin(request: FastifyRequest): boolean {
    const ours = (origin: string) => origin === publicOrigin || origin === `${request.protocol}://${request.host}`;
    const origin = request.headers.origin;
    if (origin !== undefined) return ours(origin);
    const referer = request.headers.referer;
    if (referer === undefined) return true;
    try {
      return ours(new URL(referer).origin);
    } catch {
      return false;
    }
  }

  return {
    tokenFor,
    /** Whether a form post came from our own page, in this browser. */
    verify(request: FastifyRequest, token: unknown): boolean {
      return typeof token === 'string' && sameOrigin(request) && constantTimeEqual(token, tokenFor(request));
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
