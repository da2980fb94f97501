import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcRepository } from '../src/modules/oidc/repository.js';
import { createRoleRepository } from '../src/modules/roles/repository.js';
import { sha256Hex } from '../src/platform/secrets.js';
import { type Browser, openBrowser } from './form-browser.js';
import {
  accessStatus,
  buildTestApp,
  createAdmin,
  createVerifiedUser,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from './helpers.js';

// The console's device blacklist and audit log as a browser without JavaScript meets them.

async function signedInBrowser(email: string): Promise<Browser> {
  const browser = openBrowser(test.app);
  const response = await browser.submit('/login', '/login', { email, password: strongPassword });
  expect(response.statusCode).toBe(303);
  return browser;
}

function expectPage(response: LightMyRequestResponse, status: number, text: string | RegExp) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  expect(response.body).toMatch(text);
}

let test: TestApp;
let admin: Browser;
let run = 0;
const newDeviceId = () => `console-${Date.now()}-${++run}`;
const formula = '=HYPERLINK("x")';

beforeAll(async () => {
  test = await buildTestApp();
  admin = await signedInBrowser((await createAdmin(test)).email);
});
afterAll(() => test.close());

describe('the device blacklist page', () => {
  it('blacklists a device (its API session ends), lists it, and removes it', async () => {
    const deviceId = newDeviceId();
    const owner = await createVerifiedUser(test, uniqueEmail(), { deviceName: 'Lost phone', deviceId });
    expect(await accessStatus(test, owner.accessToken)).toBe(200);

    const added = await admin.submit('/console/devices', '/console/devices', {
      deviceId,
      reason: 'reported stolen',
      confirm: 'yes',
    });
    expect({ status: added.statusCode, location: added.headers.location }).toEqual({
      status: 303,
      location: '/console/devices?done=added&ended=1',
    });
    expect(await accessStatus(test, owner.accessToken)).toBe(401);

    const listed = await admin.get(added.headers.location as string);
    expectPage(listed, 200, 'The device is blacklisted: 1 session was ended.');
    expect(listed.body).toContain(`<td><code>${deviceId}</code></td>`);
    expect(listed.body).toContain('<td>reported stolen</td>');

    const removed = await admin.submit('/console/devices', `/console/devices/${deviceId}/remove`, { confirm: 'yes' });
    expect(removed.headers.location).toBe('/console/devices?done=removed');
    const after = await admin.get('/console/devices?done=removed');
    expectPage(after, 200, 'taken off the blacklist');
    expect(after.body).not.toContain(deviceId);
  });

  it('changes nothing without the confirm box, and says why next to a bad device id', async () => {
    const deviceId = newDeviceId();
    const owner = await createVerifiedUser(test, uniqueEmail(), { deviceId });
    const unconfirmed = await admin.submit('/console/devices', '/console/devices', { deviceId, reason: '' });
    expectPage(unconfirmed, 400, 'Tick the box to confirm: nothing was changed.');
    expect(await accessStatus(test, owner.accessToken)).toBe(200);
    expect((await admin.get('/console/devices')).body).not.toContain(deviceId);

    const bad = await admin.submit('/console/devices', '/console/devices', { deviceId: 'has space', confirm: 'yes' });
    expectPage(bad, 400, /<p class="error" id="field-deviceId-error">A device id is 1 to 200/);
  });
});

describe('a USER', () => {
  it.each(['/console/devices', '/console/audit', '/console/audit.csv'])('is not allowed on %s', async (url) => {
    const user = await signedInBrowser((await createVerifiedUser(test)).email);
    expectPage(await user.get(url), 403, 'Not allowed');
  });
});

describe('the audit log', () => {
  let deviceId: string;
  beforeAll(async () => {
    deviceId = newDeviceId();
    // The user agent of the request is recorded with the event: a formula, as an attacker could send one.
    const added = await admin.submit(
      '/console/devices',
      '/console/devices',
      { deviceId, reason: formula, confirm: 'yes' },
      { 'user-agent': formula },
    );
    expect(added.statusCode).toBe(303);
  });

  it('filters by action, newest first, with an export link keeping the filter', async () => {
    const page = await admin.get('/console/audit?action=device.blacklisted');
    expectPage(page, 200, '<td>device.blacklisted</td>');
    expect(page.body).not.toContain('<td>login.succeeded</td>');
    expect(page.body).toContain(deviceId);
    expect(page.body).toContain('href="/console/audit.csv?action=device.blacklisted"');
    expect(page.body).not.toContain(formula);
  });

  it.each([
    ['from=yesterday', 'Enter a date and time'],
    ['to=2026-02-30T10:00', 'Enter a date and time'],
    ['action=DROP%20TABLE', 'Enter an action'],
    ['userId=-1', 'Enter a user by number'],
  ])('answers %s with a sentence and 400', async (query, sentence) => {
    expectPage(await admin.get(`/console/audit?${query}`), 400, sentence);
  });

  it('exports the matching rows as CSV, quoted, with formulas neutralized', async () => {
    const response = await admin.get('/console/audit.csv?action=device.blacklisted&from=2000-01-01T00:00');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="audit.csv"');
    expect(response.headers['cache-control']).toBe('no-store');
    const [header, ...rows] = response.body.trimEnd().split('\r\n');
    expect(header).toBe('id,createdAt,action,actorUserId,targetUserId,ipAddress,userAgent,details');
    const row = rows.find((line) => line.includes(deviceId));
    expect(row).toContain('"device.blacklisted"');
    expect(row).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(row).toContain(`""reason"":""=HYPERLINK(\\""x\\"")""`);
    expect(rows.every((line) => line.includes('"device.blacklisted"'))).toBe(true);
  });
});

describe('the apps page (OpenID clients)', () => {
  async function superAdminBrowser(): Promise<Browser> {
    const person = await createVerifiedUser(test);
    await createRoleRepository(test.db).insertUserRole(person.userId, 'SUPER_ADMIN', new Date());
    return signedInBrowser(person.email);
  }

  it('registers an app showing its secret once, gives it a new secret, and removes it', async () => {
    const owner = await superAdminBrowser();
    const created = await owner.submit('/console/apps', '/console/apps', {
      name: 'Orders <web>',
      type: 'confidential',
      redirectUris: 'https://orders.example.com/callback\r\n\r\nhttps://orders.example.com/cb2',
      postLogoutRedirectUris: '',
      firstParty: 'yes',
    });
    expectPage(created, 201, 'Copy it now: it is not stored and will not be shown again.');
    expect(created.body).toContain('Orders &lt;web&gt;');
    const secret = /Client secret: <code class="secret">([^<]+)<\/code>/.exec(created.body)?.[1] as string;
    const [client] = (await test.services.oidcClients.list()).filter((row) => row.name === 'Orders <web>');
    expect(client?.redirectUris).toEqual(['https://orders.example.com/callback', 'https://orders.example.com/cb2']);
    expect(client?.firstParty).toBe(true);
    const stored = await createOidcRepository(test.db).findClient(client?.clientId as string);
    expect(stored?.secretHash).toBe(sha256Hex(secret));

    const listed = await owner.get('/console/apps');
    expectPage(listed, 200, client?.clientId as string);
    expect(listed.body).not.toContain(secret);

    const renewed = await owner.submit('/console/apps', `/console/apps/${client?.clientId}/secret`, { confirm: 'yes' });
    expectPage(renewed, 200, 'will not be shown again');
    const renewedStored = await createOidcRepository(test.db).findClient(client?.clientId as string);
    expect(renewedStored?.secretHash).not.toBe(stored?.secretHash);

    const removed = await owner.submit('/console/apps', `/console/apps/${client?.clientId}/remove`, { confirm: 'yes' });
    expect(removed.headers.location).toBe('/console/apps?done=removed');
    expect(await createOidcRepository(test.db).findClient(client?.clientId as string)).toBeNull();
  });

  it('says what is wrong with an address, and keeps what was typed', async () => {
    const owner = await superAdminBrowser();
    const refused = await owner.submit('/console/apps', '/console/apps', {
      name: 'Sloppy',
      type: 'confidential',
      redirectUris: 'http://orders.example.com/*',
    });
    expectPage(refused, 400, 'wildcards are not allowed');
    expect(refused.body).toContain('http://orders.example.com/*</textarea>');
    const empty = await owner.submit('/console/apps', '/console/apps', { name: '', type: 'public', redirectUris: '' });
    expectPage(empty, 400, 'Enter at least one redirect address.');
  });

  it('is not for an ADMIN', async () => {
    expectPage(await admin.get('/console/apps'), 403, 'Not allowed');
    expect((await admin.get('/console')).body).not.toContain('href="/console/apps"');
  });
});
