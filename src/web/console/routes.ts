import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../../core/html.js';
import { presentSession } from '../../modules/sessions/presenter.js';
import { attempt } from '../error-messages.js';
import { actorOf, formFields, type PageKit, type PageNotes, seeOther } from '../kit.js';
import { consoleAccess } from './access.js';
import { consoleAppPages } from './apps.js';
import { consoleAuditPages } from './audit.js';
import { consoleDevicePages } from './devices.js';
import { type ManagedUserView, userDetailView } from './user-view.js';
import { createUserView, overviewView, type UserFilters, usersView } from './views.js';

const page = { schema: { hide: true } };
const pageSize = 25;
const consolePermissions = ['user.read_all', 'audit.read', 'device.blacklist', 'oidc.clients.manage'];
const booleanFilter = (value: unknown) => (value === 'true' ? true : value === 'false' ? false : undefined);

/**
 * The admin console: the people who run Gatehouse, in a browser. Every
 * screen and action is gated by the API's permission strings, and every
 * action is the service call the API makes (so the same rules and audit).
 */
export function consolePages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf } = kit;

  const { principalOf, permissionsOf, show, notAllowed, allowed } = consoleAccess(kit);

  const problemPage = (sentence: string) =>
    html`<h1>That did not work</h1><div class="alert error" role="alert"><p>${sentence}</p></div>
<p><a href="/console/users">Back to the users</a></p>`;

  async function userPage(
    request: FastifyRequest,
    reply: FastifyReply,
    userId: number,
    notes: PageNotes = {},
    status = 200,
  ) {
    const principal = principalOf(request);
    const actor = actorOf(principal);
    const found = await attempt(() => services.userAdmin.getUser(actor, userId));
    if (!found.ok) return show(request, reply, 'Users', problemPage(found.sentence), found.error.statusCode);
    const user: ManagedUserView = found.value.user;
    const permissions = permissionsOf(request);
    const [sessions, { passkeys }, identities, { logins }, audit] = await Promise.all([
      services.sessions.listSessions(userId),
      services.passkeys.list(userId),
      services.federation.listIdentities(userId),
      services.activity.listLogins(userId, 20, 0),
      permissions.has('audit.read') ? services.auditLog.listEvents({ userId, limit: 20, offset: 0 }) : null,
    ]);
    const body = userDetailView({
      csrf: csrf.tokenFor(request),
      ...notes,
      user,
      manageable: !user.roles.includes('SUPER_ADMIN') || actor.roles.includes('SUPER_ADMIN'),
      permissions,
      sessions: sessions.map((session) => presentSession(session, principal.sessionId)),
      passkeys,
      identities,
      logins,
      audit: audit?.events ?? null,
    });
    return show(request, reply, user.email, body, status);
  }

  return async (app) => {
    // Signed in, and allowed something here; everyone else is sent to sign in or told "not allowed".
    app.addHook('preHandler', async (request, reply) => {
      if (!request.principal) {
        const back = request.method === 'GET' ? request.url : '/console';
        return seeOther(reply, `/login?return_to=${encodeURIComponent(back)}`);
      }
      if (!consolePermissions.some((permission) => permissionsOf(request).has(permission)))
        return notAllowed(request, reply);
    });

    app.get('/console', page, async (request, reply) => {
      const permissions = permissionsOf(request);
      if (!permissions.has('user.read_all')) {
        return seeOther(reply, permissions.has('audit.read') ? '/console/audit' : '/console/devices');
      }
      const overview = await services.statistics.overview();
      return show(request, reply, 'Console', overviewView({ csrf: csrf.tokenFor(request), overview, permissions }));
    });

    app.get('/console/users', page, async (request, reply) => {
      if (!allowed(request, reply, 'user.read_all')) return reply;
      const query = request.query as Record<string, unknown>;
      const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : '');
      const filters: UserFilters = {
        search: text('search').slice(0, 100),
        role: /^[A-Z_]{1,50}$/.test(text('role')) ? text('role') : '',
        verified: text('verified'),
        locked: text('locked'),
        twoFactor: text('twoFactor'),
      };
      const offset = /^[0-9]{1,6}$/.test(text('offset')) ? Number(text('offset')) : 0;
      const { users, total } = await services.userAdmin.listUsers({
        limit: pageSize,
        offset,
        search: filters.search.trim() || undefined,
        role: filters.role || undefined,
        verified: booleanFilter(filters.verified),
        locked: booleanFilter(filters.locked),
        twoFactor: booleanFilter(filters.twoFactor),
      });
      const permissions = permissionsOf(request);
      return show(
        request,
        reply,
        'Users',
        usersView({
          csrf: csrf.tokenFor(request),
          ...(text('done') === 'deleted' ? { news: 'The account was deleted.' } : {}),
          users,
          total,
          offset,
          pageSize,
          filters,
          permissions,
        }),
      );
    });

    app.get('/console/users/new', page, async (request, reply) => {
      if (!allowed(request, reply, 'user.create_all')) return reply;
      return show(
        request,
        reply,
        'Create a user',
        createUserView({ csrf: csrf.tokenFor(request), permissions: permissionsOf(request) }),
      );
    });

    app.post('/console/users', page, async (request, reply) => {
      if (!allowed(request, reply, 'user.create_all')) return reply;
      const form = formFields(request.body, ['email', 'firstName', 'lastName', 'password']);
      const created = await attempt(() =>
        services.userAdmin.createUser(actorOf(principalOf(request)), {
          email: form.email,
          password: form.password,
          firstName: form.firstName.trim() || undefined,
          lastName: form.lastName.trim() || undefined,
        }),
      );
      if (created.ok) return seeOther(reply, `/console/users/${created.value.user.id}?done=created`);
      const body = createUserView({
        csrf: csrf.tokenFor(request),
        permissions: permissionsOf(request),
        email: form.email,
        problem: created.sentence,
      });
      return show(request, reply, 'Create a user', body, created.error.statusCode);
    });

    const news: Record<string, string> = {
      created: 'The account was created.',
      locked: 'The account is locked and was signed out everywhere.',
      unlocked: 'The account may sign in again.',
      'signed-out': 'Every session of the account was ended.',
      'session-ended': 'The session was ended.',
      'role-assigned': 'The role was assigned.',
      'role-removed': 'The role was removed.',
    };

    app.get('/console/users/:id', page, async (request, reply) => {
      if (!allowed(request, reply, 'user.read_all')) return reply;
      const id = Number((request.params as { id: string }).id);
      if (!Number.isSafeInteger(id) || id < 1) return show(request, reply, 'Users', problemPage('No such user.'), 404);
      const done = (request.query as Record<string, unknown>).done;
      return userPage(request, reply, id, typeof done === 'string' && news[done] ? { news: news[done] } : {});
    });

    /**
     * One action on a user: the box ticked for destructive ones, then the
     * service call under the API's permission; a refusal (403 for a
     * SUPER_ADMIN, 409 for the last one...) is shown on the user's page.
     */
    function userAction(
      path: string,
      permission: string,
      { confirm, done }: { confirm: boolean; done: string },
      act: (request: FastifyRequest, userId: number, form: Record<string, string>) => Promise<unknown>,
    ) {
      app.post(`/console/users/:id/${path}`, page, async (request, reply) => {
        if (!allowed(request, reply, permission)) return reply;
        const userId = Number((request.params as { id: string }).id);
        const form = formFields(request.body, ['confirm', 'reason', 'until', 'roleName']);
        if (confirm && form.confirm !== 'yes') {
          return userPage(request, reply, userId, { problem: 'Tick the box to confirm: nothing was changed.' }, 400);
        }
        const outcome = await attempt(() => act(request, userId, form));
        if (!outcome.ok)
          return userPage(request, reply, userId, { problem: outcome.sentence }, outcome.error.statusCode);
        return seeOther(
          reply,
          done === 'deleted' ? '/console/users?done=deleted' : `/console/users/${userId}?done=${done}`,
        );
      });
    }

    const actor = (request: FastifyRequest) => actorOf(principalOf(request));
    userAction('lock', 'user.lock', { confirm: true, done: 'locked' }, (request, userId, form) =>
      services.accountAdmin.lockUser(actor(request), userId, {
        reason: form.reason?.trim() || undefined,
        until: form.until?.trim() || undefined,
      }),
    );
    userAction('unlock', 'user.lock', { confirm: true, done: 'unlocked' }, (request, userId) =>
      services.accountAdmin.unlockUser(actor(request), userId),
    );
    userAction('sign-out', 'session.revoke_all', { confirm: true, done: 'signed-out' }, (request, userId) =>
      services.accountAdmin.signOutEverywhere(actor(request), userId),
    );
    userAction('delete', 'user.delete_all', { confirm: true, done: 'deleted' }, (request, userId) =>
      services.userAdmin.deleteUser(actor(request), userId, undefined),
    );
    userAction('roles/assign', 'role.assign', { confirm: false, done: 'role-assigned' }, (request, userId, form) =>
      services.roles.assignRole(actor(request), { userId, roleName: form.roleName ?? '' }),
    );
    userAction('roles/remove', 'role.assign', { confirm: true, done: 'role-removed' }, (request, userId, form) =>
      services.roles.removeRole(actor(request), { userId, roleName: form.roleName ?? '' }),
    );
    app.post('/console/users/:id/sessions/:sessionId/end', page, async (request, reply) => {
      if (!allowed(request, reply, 'session.revoke_all')) return reply;
      const { id, sessionId } = request.params as { id: string; sessionId: string };
      const userId = Number(id);
      if (formFields(request.body, ['confirm']).confirm !== 'yes') {
        return userPage(request, reply, userId, { problem: 'Tick the box to confirm: nothing was changed.' }, 400);
      }
      const outcome = /^[0-9a-f-]{36}$/.test(sessionId)
        ? await attempt(() => services.accountAdmin.signOutSession(actor(request), userId, sessionId))
        : null;
      if (!outcome?.ok)
        return userPage(
          request,
          reply,
          userId,
          { problem: outcome?.sentence ?? 'That session has already ended.' },
          outcome?.error.statusCode ?? 404,
        );
      return seeOther(reply, `/console/users/${userId}?done=session-ended`);
    });
    await app.register(consoleDevicePages(kit));
    await app.register(consoleAuditPages(kit));
    await app.register(consoleAppPages(kit));
  };
}
