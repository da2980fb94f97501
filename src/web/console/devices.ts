import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../core/html.js';
import { type FieldErrors, field } from '../components.js';
import { attempt } from '../error-messages.js';
import { actorOf, formFields, type PageKit, type PageNotes, seeOther } from '../kit.js';
import { consoleAccess } from './access.js';
import { type ConsoleState, confirmedAction, consoleHeader, when } from './views.js';

const page = { schema: { hide: true } };
// The API's limits (src/modules/devices/schemas.ts): 1 to 200 printable ASCII characters, no spaces; a reason up to 500.
const deviceIdPattern = /^[\x21-\x7e]{1,200}$/;
const reasonLimit = 500;
const unconfirmed = 'Tick the box to confirm: nothing was changed.';

interface BlacklistedDevice {
  deviceId: string;
  reason: string | null;
  createdByUserId: number | null;
  createdAt: string;
}

export function devicesView(
  state: ConsoleState & {
    permissions: ReadonlySet<string>;
    devices: BlacklistedDevice[];
    deviceId?: string;
    reason?: string;
  },
): SafeHtml {
  const errors = state.errors ?? {};
  const person = (userId: number | null) =>
    userId === null
      ? '—'
      : state.permissions.has('user.read_all')
        ? html`<a href="/console/users/${userId}">user ${userId}</a>`
        : `user ${userId}`;
  return html`${consoleHeader(state, '/console/devices', 'Device blacklist', state.permissions)}
<p>A blacklisted device cannot sign in to any account, and every session on it ends the moment it is added.</p>
<h2>Add a device</h2>
${confirmedAction({
  action: '/console/devices',
  csrf: state.csrf,
  submit: 'Add to the blacklist',
  confirm: 'Yes, block this device and end its sessions',
  body: html`${field({ name: 'deviceId', label: 'Device id', value: state.deviceId, autocomplete: 'off', maxlength: 200, hint: 'The id the app or browser signs in with, such as ios-5F2A9C.', errors })}
  ${field({ name: 'reason', label: 'Reason (optional)', value: state.reason, required: false, maxlength: reasonLimit, errors })}`,
})}
<h2>Blacklisted devices</h2>
${
  state.devices.length === 0
    ? html`<p class="muted">No device is blacklisted.</p>`
    : html`<table class="list">
  <caption class="visually-hidden">Blacklisted devices</caption>
  <thead><tr><th scope="col">Device</th><th scope="col">Reason</th><th scope="col">Added by</th><th scope="col">When</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
  <tbody>${state.devices.map(
    (device) => html`<tr>
    <td><code>${device.deviceId}</code></td>
    <td>${device.reason ?? html`<span class="muted">none given</span>`}</td>
    <td>${person(device.createdByUserId)}</td>
    <td>${when(device.createdAt)}</td>
    <td>${confirmedAction({
      action: `/console/devices/${encodeURIComponent(device.deviceId)}/remove`,
      csrf: state.csrf,
      submit: 'Remove',
      confirm: `Yes, let ${device.deviceId} sign in again`,
    })}</td>
  </tr>`,
  )}</tbody>
</table>`
}`;
}

/** The device blacklist in the console: the API's `device.blacklist` permission and the same service calls. */
export function consoleDevicePages(kit: PageKit): FastifyPluginAsync {
  const { services, csrf } = kit;
  const access = consoleAccess(kit);
  const { principalOf } = access;
  const show = (request: FastifyRequest, reply: FastifyReply, body: SafeHtml, status = 200) =>
    access.show(request, reply, 'Device blacklist', body, status);
  const allowed = (request: FastifyRequest, reply: FastifyReply) => access.allowed(request, reply, 'device.blacklist');

  async function devicesPage(
    request: FastifyRequest,
    reply: FastifyReply,
    notes: PageNotes = {},
    status = 200,
    typed: { deviceId?: string; reason?: string } = {},
  ) {
    const { devices } = await services.devices.list();
    const permissions = principalOf(request).account.permissionSet;
    return show(
      request,
      reply,
      devicesView({ csrf: csrf.tokenFor(request), ...notes, ...typed, permissions, devices }),
      status,
    );
  }

  const newsOf = (query: Record<string, unknown>): string | undefined => {
    if (query.done === 'removed') return 'The device was taken off the blacklist: it may sign in again.';
    if (query.done !== 'added') return undefined;
    const ended = typeof query.ended === 'string' && /^[0-9]{1,6}$/.test(query.ended) ? Number(query.ended) : 0;
    return `The device is blacklisted: ${ended === 0 ? 'it had no session to end' : `${ended} session${ended === 1 ? ' was' : 's were'} ended`}.`;
  };

  return async (app) => {
    app.get('/console/devices', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      return devicesPage(request, reply, { news: newsOf(request.query as Record<string, unknown>) });
    });

    app.post('/console/devices', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      const form = formFields(request.body, ['deviceId', 'reason', 'confirm']);
      const typed = { deviceId: form.deviceId, reason: form.reason };
      const deviceId = form.deviceId.trim();
      const reason = form.reason.trim();
      const errors: FieldErrors = {};
      if (deviceId === '') errors.deviceId = 'Enter the id of the device to block.';
      else if (!deviceIdPattern.test(deviceId))
        errors.deviceId = 'A device id is 1 to 200 letters, digits or symbols, without spaces.';
      if (reason.length > reasonLimit) errors.reason = `Keep the reason to ${reasonLimit} characters or fewer.`;
      if (Object.keys(errors).length > 0) return devicesPage(request, reply, { errors }, 400, typed);
      if (form.confirm !== 'yes') return devicesPage(request, reply, { problem: unconfirmed }, 400, typed);
      const blocked = await attempt(() =>
        services.devices.block(actorOf(principalOf(request)), { deviceId, reason: reason || undefined }),
      );
      if (!blocked.ok)
        return devicesPage(request, reply, { problem: blocked.sentence }, blocked.error.statusCode, typed);
      return seeOther(reply, `/console/devices?done=added&ended=${blocked.value.endedSessions}`);
    });

    app.post('/console/devices/:deviceId/remove', page, async (request, reply) => {
      if (!allowed(request, reply)) return reply;
      const { deviceId } = request.params as { deviceId: string };
      if (formFields(request.body, ['confirm']).confirm !== 'yes') {
        return devicesPage(request, reply, { problem: unconfirmed }, 400);
      }
      const removed = deviceIdPattern.test(deviceId)
        ? await attempt(() => services.devices.unblock(actorOf(principalOf(request)), deviceId))
        : null;
      if (!removed?.ok) {
        const problem = removed?.sentence ?? 'That device is not on the blacklist.';
        return devicesPage(request, reply, { problem }, removed?.error.statusCode ?? 404);
      }
      return seeOther(reply, '/console/devices?done=removed');
    });
  };
}
