import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
