import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Actor, AuthenticatedPrincipal } from '../core/account.js';
import type { Renderable, SafeHtml } from '../core/html.js';
import type { Services } from '../services.js';
import type { BrowserCookieJar, Csrf } from './browser.js';
import type { FieldErrors } from './components.js';
import type { attempt } from './error-messages.js';
import { type Brand, layout } from './layout.js';
import type { ReturnTo } from './return-to.js';

/** What every page group is built from: the services (the same the API calls) and the page plumbing. */
export interface PageKit {
  services: Services;
  config: Config;
  brand: Brand;
  cookies: BrowserCookieJar;
  csrf: Csrf;
  returnTo: ReturnTo;
}

export function sendPage(reply: FastifyReply, statusCode: number, markup: SafeHtml): FastifyReply {
  return reply.code(statusCode).type('text/html; charset=utf-8').send(markup.markup);
}

/** A whole page in the layout: the signed-in header when someone is signed in. */
export function renderPage(
  kit: PageKit,
  request: FastifyRequest,
  reply: FastifyReply,
  page: { title: string; body: Renderable; status?: number; wide?: boolean },
): FastifyReply {
  const principal = request.principal;
  return sendPage(
    reply,
    page.status ?? 200,
    layout({
      title: page.title,
      brand: kit.brand,
      body: page.body,
      wide: page.wide ?? false,
      signedInAs: principal ? { email: principal.account.user.email, csrf: kit.csrf.tokenFor(request) } : undefined,
    }),
  );
}

/** After a form: 303, so the browser fetches the next page with GET and a reload does not post again. */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).send();
}

/** The fields of a posted form as strings; absent fields are '' so handlers never see undefined or arrays. */
export function formFields<Name extends string>(body: unknown, names: readonly Name[]): Record<Name, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    names.map((name) => {
      const value = source[name];
      return [name, typeof value === 'string' ? value : ''];
    }),
  ) as Record<Name, string>;
}

/** What a page says about the last action: errors by field, a sentence about the form, or good news. */
export interface PageNotes {
  errors?: FieldErrors;
  problem?: string;
  news?: string;
}

/** The news when the service agreed, its refusal's sentence when not, and the status to answer with. */
export function notesOf(
  outcome: Awaited<ReturnType<typeof attempt>>,
  news: string,
): { notes: PageNotes; status: number } {
  return outcome.ok
    ? { notes: { news }, status: 200 }
    : { notes: { problem: outcome.sentence }, status: outcome.error.statusCode };
}

/** The signed-in browser as the services' `Actor`: its live roles and permissions. */
export function actorOf(principal: AuthenticatedPrincipal): Actor {
  return {
    userId: principal.userId,
    sessionId: principal.sessionId,
    roles: principal.account.roles,
    permissions: principal.account.permissionSet,
  };
}
