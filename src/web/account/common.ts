import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedPrincipal } from '../../core/account.js';
import type { SafeHtml } from '../../core/html.js';
import { type PageKit, renderPage } from '../kit.js';

// What every account page shares: it is not part of the API reference, it has a signed-in caller.
export const page = { schema: { hide: true } };

/** The signed-in caller of an account page (the account plugin's hook has sent everyone else to /login). */
export function principalOf(request: FastifyRequest): AuthenticatedPrincipal {
  if (!request.principal) throw new Error('account page reached without a browser session');
  return request.principal;
}

export function accountShow(kit: PageKit) {
  return (request: FastifyRequest, reply: FastifyReply, title: string, body: SafeHtml, status = 200, wide = false) =>
    renderPage(kit, request, reply, { title, body, status, wide });
}
