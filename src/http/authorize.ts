import type { FastifyRequest } from 'fastify';
import type { Actor } from '../core/account.js';
import { AppError } from '../errors.js';
import { principalOf } from './authenticate.js';

/**
 * Authorization never trusts the token's contents beyond who is calling: a
 * demotion takes effect on the very next request.
 */
export function createAuthorization() {
  // Roles and permissions come with the principal, as current as its session (see authenticate).
  function actorOf(request: FastifyRequest): Actor {
    const { userId, sessionId, account } = principalOf(request);
    return { userId, sessionId, roles: account.roles, permissions: account.permissionSet };
  }

  /** A hook that lets the request through only if the caller holds one of `permissions`. */
  function requirePermission(...permissions: string[]) {
    return async function checkPermission(request: FastifyRequest): Promise<void> {
      const actor = actorOf(request);
      if (!permissions.some((permission) => actor.permissions.has(permission))) throw new AppError('FORBIDDEN');
    };
  }

  return { actorOf, requirePermission };
}

export type Authorization = ReturnType<typeof createAuthorization>;
