import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedPrincipal } from '../../core/account.js';
import type { SafeHtml } from '../../core/html.js';
import { type PageKit, renderPage } from '../kit.js';
import { notAllowedView } from './views.js';

/** What every console page does: know the caller, check the API's permission, show a wide page. */
export function consoleAccess(kit: PageKit) {
  const principalOf = (request: FastifyRequest): AuthenticatedPrincipal => {
    if (!request.principal) throw new Error('console page reached without a browser session');
    return request.principal;
  };
  const permissionsOf = (request: FastifyRequest) => principalOf(request).account.permissionSet;
  const show = (request: FastifyRequest, reply: FastifyReply, title: string, body: SafeHtml, status = 200) =>
    renderPage(kit, request, reply, { title, body, status, wide: true });
  return {
    principalOf,
    permissionsOf,
    show,
    notAllowed: (request: FastifyRequest, reply: FastifyReply) =>
      show(request, reply, 'Not allowed', notAllowedView(), 403),
    /** Sends the "not allowed" page and answers false unless the caller holds `permission`. */
    allowed(request: FastifyRequest, reply: FastifyReply, permission: string): boolean {
      if (permissionsOf(request).has(permission)) return true;
      show(request, reply, 'Not allowed', notAllowedView(), 403);
      return false;
    },
  };
}
