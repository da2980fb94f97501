import type { FastifyRequest } from 'fastify';
import type { AuthenticatedPrincipal } from '../core/account.js';
import type { ClientContext } from '../core/client.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on routes that require a bearer token. */
    principal: AuthenticatedPrincipal | null;
  }
}

const bearerPattern = /^Bearer ([A-Za-z0-9_.~+/-]+=*)$/;

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  return header ? (bearerPattern.exec(header)?.[1] ?? null) : null;
}

/**
 * Verifies the JWT and then checks that its session is still live and its
 * account active (the database's answer, or the access cache's, which drops
 * an entry when the database announces a change), so revocation, lock and
 * deletion take effect on the very next request.
 */
export function createAuthenticate(verify: (accessToken: string) => Promise<AuthenticatedPrincipal | null>) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request);
    const principal = token ? await verify(token) : null;
    if (!principal) throw new AppError('UNAUTHORIZED');
    request.principal = principal;
  };
}

export type Authenticate = ReturnType<typeof createAuthenticate>;

/** The principal of a route guarded by `authenticate`. */
export function principalOf(request: FastifyRequest): AuthenticatedPrincipal {
  if (!request.principal) throw new AppError('UNAUTHORIZED');
  return request.principal;
}

export function clientOf(request: FastifyRequest): ClientContext {
  const userAgent = request.headers['user-agent'];
  return { ipAddress: request.ip, userAgent: userAgent ? userAgent.slice(0, 512) : null };
}
