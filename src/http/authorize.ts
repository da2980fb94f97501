import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { RoleRepository } from '../modules/roles/repository.js';
import { principalOf } from './authenticate.js';

/** The caller with their live roles and permissions, read from the database on each request. */
export interface Actor {
  userId: number;
  sessionId: string;
  roles: string[];
  permissions: ReadonlySet<string>;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/**
 * Authorization never trusts the token's contents beyond who is calling: a
 * demotion takes effect on the very next request.
 */
export function createAuthorization(roles: RoleRepository) {
  async function actorOf(request: FastifyRequest): Promise<Actor> {
    if (request.actor) return request.actor;
    const { userId, sessionId } = principalOf(request);
    const access = await roles.findRolesAndPermissions(userId);
    request.actor = { userId, sessionId, roles: access.roles, permissions: new Set(access.permissions) };
    return request.actor;
  }

  /** A hook that lets the request through only if the caller holds one of `permissions`. */
  function requirePermission(...permissions: string[]) {
    return async function checkPermission(request: FastifyRequest): Promise<void> {
      const actor = await actorOf(request);
      if (!permissions.some((permission) => actor.permissions.has(permission))) throw new AppError('FORBIDDEN');
    };
  }

  return { actorOf, requirePermission };
}

export type Authorization = ReturnType<typeof createAuthorization>;
