import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../core/html.js';
import type { ClientInput, ClientView } from '../../modules/oidc/clients.js';
import { type FieldErrors, field, form } from '../components.js';
import { attempt } from '../error-messages.js';
import { actorOf, formFields, type PageKit, type PageNotes, seeOther } from '../kit.js';
import { consoleAccess } from './access.js';
import { type ConsoleState, confirmedAction, consoleHeader, when } from './views.js';

const page = { schema: { hide: true } };
const permission = 'oidc.clients.manage';
const clientIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
const unconfirmed = 'Tick the box to confirm: nothing was changed.';

interface Typed {
  name?: string;
  type?: string;
  redirectUris?: string;
  postLogoutRedirectUris?: string;
  firstParty?: boolean;
}

/** One address per line, blank lines ignored. */
const linesOf = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

function secretShown(client: ClientView, secret: string): SafeHtml {
  return html`<div class="alert success" role="status"><p>The secret of <strong>${client.name}</strong> is below. Copy it now: it is not stored and will not be shown again.</p>
<p>Client id: <code>${client.clientId}</code><br>Client secret: <code class="secret">${secret}</code></p></div>`;
}

export function appsView(
  state: ConsoleState & { permissions: ReadonlySet<string>; clients: ClientView[]; typed: Typed; shown?: SafeHtml },
): SafeHtml {
  const errors = state.errors ?? {};
  const { typed } = state;
  return html`${consoleHeader(state, '/console/apps', 'Apps', state.permissions)}
${state.shown ?? null}
<p>The apps that sign people in through Gatehouse's OpenID provider (issuer <code>/oidc</code>). Redirect addresses must match exactly.</p>
<h2>Registered apps</h2>
${
  state.clients.length === 0
    ? html`<p class="muted">No app is registered yet.</p>`
    : html`<table class="list">
  <caption class="visually-hidden">Registered apps</caption>
  <thead><tr><th scope="col">App</th><th scope="col">Client id</th><th scope="col">Redirect addresses</th><th scope="col">Added</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${state.clients.map(
    (client) => html`<tr>
    <td>${client.name}<br><span class="muted">${client.type}${client.firstParty ? ', first party' : ', asks for consent'}</span></td>
    <td><code>${client.clientId}</code></td>
    <td>${client.redirectUris.map((uri) => html`<code>${uri}</code><br>`)}</td>
    <td>${when(client.createdAt)}</td>
    <td>${
      client.type === 'confidential'
        ? confirmedAction({
            action: `/console/apps/${client.clientId}/secret`,
            csrf: state.csrf,
            submit: 'New secret',
            confirm: 'Yes, the old secret stops working now',
          })
        : null
    }
    ${confirmedAction({
      action: `/console/apps/${client.clientId}/remove`,
      csrf: state.csrf,
      submit: 'Remove',
      confirm: `Yes, remove ${client.name} and sign it out everywhere`,
    })}</td>
  </tr>`,
  )}</tbody>
</table>`
}
<h2>Register an app</h2>
${form({
  action: '/console/apps',
  csrf: state.csrf,
  submit: 'Register the app',
  body: html`${field({ name: 'name', label: 'Name', value: typed.name, maxlength: 100, hint: 'Shown to people on the consent and sign-out pages.', errors })}
  <div class="field"><label for="field-type">Type</label>
  <select id="field-type" name="type">
    <option value="confidential"${typed.type === 'public' ? null : html` selected`}>Confidential: a server that keeps a secret</option>
    <option value="public"${typed.type === 'public' ? html` selected` : null}>Public: a single-page or mobile app (PKCE, no secret)</option>
  </select></div>
  <div class="field${errors.redirectUris ? ' invalid' : ''}"><label for="field-redirectUris">Redirect addresses, one per line</label>
  ${errors.redirectUris ? html`<p class="error" id="field-redirectUris-error">${errors.redirectUris}</p>` : null}
  <textarea id="field-redirectUris" name="redirectUris" rows="3"${errors.redirectUris ? html` aria-invalid="true" aria-describedby="field-redirectUris-error"` : null}>${typed.redirectUris ?? ''}</textarea></div>
  <div class="field"><label for="field-postLogoutRedirectUris">Addresses after sign-out, one per line (optional)</label>
  <textarea id="field-postLogoutRedirectUris" name="postLogoutRedirectUris" rows="2">${typed.postLogoutRedirectUris ?? ''}</textarea></div>
  <label class="check"><input type="checkbox" name="firstParty" value="yes"${typed.firstParty ? html` checked` : null}> Our own app: do not ask people to consent</label>`,
})}`;
}

/** The OpenID provider's apps in the console: the API's `oidc.clients.manage` permission and the same service calls. */
export function consoleAppPages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf } = kit;
  const access = consoleAccess(kit);
  const { principalOf } = access;
  const allowed = (request: FastifyRequest, reply: FastifyReply) => access.allowed(request, reply, permission);

  async function appsPage(
    request: FastifyRequest,
    reply: FastifyReply,
    notes: PageNotes & { shown?: SafeHtml } = {},
    status = 200,
    typed: Typed = {},
  ) {
    const clients = await services.oidcClients.list();
    const permissions = principalOf(request).account.permissionSet;
    const body = appsView({ csrf: csrf.tokenFor(request), ...notes, permissions, clients, typed });
    return access.show(request, reply, 'Apps', body, status);
  }

  const newsOf = (done: unknown) =>
    done === 'removed' ? 'The app was removed, with every token issued to it.' : undefined;

  return async (app) => {
    app.get('/console/apps', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      return appsPage(request, reply, { news: newsOf((request.query as Record<string, unknown>).done) });
    });

    app.post('/console/apps', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      const form = formFields(request.body, ['name', 'type', 'redirectUris', 'postLogoutRedirectUris', 'firstParty']);
      const typed: Typed = { ...form, firstParty: form.firstParty === 'yes' };
      const errors: FieldErrors = {};
      if (form.name.trim() === '') errors.name = 'Enter the name people will see.';
      if (linesOf(form.redirectUris).length === 0) errors.redirectUris = 'Enter at least one redirect address.';
      if (Object.keys(errors).length > 0) return appsPage(request, reply, { errors }, 400, typed);
      const input: ClientInput = {
        name: form.name,
        type: form.type === 'public' ? 'public' : 'confidential',
        redirectUris: linesOf(form.redirectUris),
        postLogoutRedirectUris: linesOf(form.postLogoutRedirectUris),
        firstParty: typed.firstParty,
      };
      const created = await attempt(() => services.oidcClients.create(actorOf(principalOf(request)), input));
      if (!created.ok) return appsPage(request, reply, { problem: created.sentence }, created.error.statusCode, typed);
      const { client, clientSecret } = created.value;
      const shown = clientSecret
        ? secretShown(client, clientSecret)
        : html`<div class="alert success" role="status"><p><strong>${client.name}</strong> is registered. Client id: <code>${client.clientId}</code> (a public app has no secret).</p></div>`;
      // Not a redirect: the secret is in this answer only.
      return appsPage(request, reply, { shown }, 201);
    });

    app.post('/console/apps/:clientId/secret', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      const { clientId } = request.params as { clientId: string };
      if (formFields(request.body, ['confirm']).confirm !== 'yes')
        return appsPage(request, reply, { problem: unconfirmed }, 400);
      const rotated = clientIdPattern.test(clientId)
        ? await attempt(() => services.oidcClients.rotateSecret(actorOf(principalOf(request)), clientId))
        : null;
      if (!rotated?.ok) {
        return appsPage(
          request,
          reply,
          { problem: rotated?.sentence ?? 'There is no such app.' },
          rotated?.error.statusCode ?? 404,
        );
      }
      return appsPage(request, reply, { shown: secretShown(rotated.value.client, rotated.value.clientSecret) });
    });

    app.post('/console/apps/:clientId/remove', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      const { clientId } = request.params as { clientId: string };
      if (formFields(request.body, ['confirm']).confirm !== 'yes')
        return appsPage(request, reply, { problem: unconfirmed }, 400);
      const removed = clientIdPattern.test(clientId)
        ? await attempt(() => services.oidcClients.remove(actorOf(principalOf(request)), clientId))
        : null;
      if (!removed?.ok) {
        return appsPage(
          request,
          reply,
          { problem: removed?.sentence ?? 'There is no such app.' },
          removed?.error.statusCode ?? 404,
        );
      }
      return seeOther(reply, '/console/apps?done=removed');
    });
  };
}
