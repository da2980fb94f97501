import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSuperAdmin } from '../../src/modules/user-admin/super-admin.js';
import { accessStatus, post, strongPassword, superAdminDeps, uniqueEmail } from '../helpers.js';
import { chromiumPath, type HostedPages, screenshot, signInByForm, startHostedPages } from './harness.js';

async function openUser(page: Page, email: string) {
  await page.goto('/console/users');
  await page.getByLabel('Email or name').fill(email);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: email }).click();
  await page.waitForURL(/\/console\/users\/\d+$/);
}

/** Ticks the confirmation box of the action whose button is `button`, then presses it. */
async function confirmAndPress(page: Page, button: string, box: string | RegExp) {
  const form = page.locator('form', { has: page.getByRole('button', { name: button, exact: true }) });
  await form.getByLabel(box).check();
  await form.getByRole('button', { name: button, exact: true }).click();
}

describe.skipIf(!chromiumPath)('the admin console', () => {
  let hosted: HostedPages;
  let superAdmin: { email: string };
  beforeAll(async () => {
    hosted = await startHostedPages();
    const email = uniqueEmail('root');
    await createSuperAdmin(superAdminDeps(hosted.test), { email, password: strongPassword }, { onlyIfNone: false });
    superAdmin = { email };
  });
  afterAll(() => hosted?.close());

  it('lets a SUPER_ADMIN find a user, lock and unlock them, make them ADMIN and see it in the trail', async () => {
    const target = await hosted.verifiedUser('managed');
    const page = await hosted.newPage();
    await signInByForm(page, superAdmin.email);
    await page.goto('/console');
    expect(await page.getByRole('heading', { name: 'Console' }).isVisible()).toBe(true);
    await screenshot(page, 'console-overview');

    await openUser(page, target.email);
    await screenshot(page, 'console-user');
    // Without the box ticked, nothing happens.
    const lockForm = page.locator('form', { has: page.getByRole('button', { name: 'Lock', exact: true }) });
    await lockForm.getByLabel('Reason').fill('suspicious activity');
    await lockForm.getByRole('button', { name: 'Lock', exact: true }).click();
    expect(await accessStatus(hosted.test, target.accessToken)).toBe(200);

    await confirmAndPress(page, 'Lock', /lock this account/);
    await page.waitForURL('**?done=locked');
    expect(await page.getByText('The account is locked').isVisible()).toBe(true);
    expect(await accessStatus(hosted.test, target.accessToken)).toBe(401);

    await confirmAndPress(page, 'Unlock', /sign in again/);
    await page.waitForURL('**?done=unlocked');
    await page.getByLabel('Role', { exact: true }).selectOption('ADMIN');
    await page.getByRole('button', { name: 'Assign role' }).click();
    await page.waitForURL('**?done=role-assigned');
    expect(await page.locator('dl.facts').textContent()).toContain('ADMIN');
    const trail = await page.locator('table').last().textContent();
    for (const action of ['role.assigned', 'user.unlocked', 'user.locked']) expect(trail).toContain(action);
    await screenshot(page, 'console-user-after');
  });

  it('shows an ADMIN a SUPER_ADMIN without any action, and refuses a forged action with 403', async () => {
    const admin = await hosted.verifiedUser('admin');
    const page = await hosted.newPage();
    await signInByForm(page, superAdmin.email);
    await openUser(page, admin.email);
    await page.getByLabel('Role', { exact: true }).selectOption('ADMIN');
    await page.getByRole('button', { name: 'Assign role' }).click();
    await page.waitForURL('**?done=role-assigned');

    const adminPage = await hosted.newPage();
    await signInByForm(adminPage, admin.email);
    await openUser(adminPage, superAdmin.email);
    expect(await adminPage.getByText("Only a SUPER_ADMIN can change a SUPER_ADMIN's account.").isVisible()).toBe(true);
    expect(await adminPage.getByRole('button', { name: 'Lock', exact: true }).count()).toBe(0);
    await screenshot(adminPage, 'console-super-admin-as-admin');

    // The form the page did not offer, posted anyway with a valid token: the service refuses it.
    const csrf = await adminPage.locator('input[name="_csrf"]').first().inputValue();
    const forged = await adminPage.request.post(`${new URL(adminPage.url()).pathname}/lock`, {
      form: { _csrf: csrf, confirm: 'yes', reason: 'forged' },
      headers: { origin: hosted.baseUrl },
    });
    expect(forged.status()).toBe(403);
    await signInByForm(await hosted.newPage(), superAdmin.email);
  });

  it('lets an ADMIN blacklist a device (its session ends), find it in the audit log and export the log as CSV', async () => {
    const admin = await hosted.verifiedUser('blacklister');
    const root = await hosted.newPage();
    await signInByForm(root, superAdmin.email);
    await openUser(root, admin.email);
    await root.getByLabel('Role', { exact: true }).selectOption('ADMIN');
    await root.getByRole('button', { name: 'Assign role' }).click();
    await root.waitForURL('**?done=role-assigned');

    const phoneOwner = await hosted.verifiedUser('phone-owner');
    const signedIn = await post(hosted.test.app, '/auth/login', {
      email: phoneOwner.email,
      password: strongPassword,
      deviceInfo: { deviceId: 'lost-phone-1', deviceName: 'Lost phone' },
    });
    const phoneToken = signedIn.json().accessToken;
    expect(await accessStatus(hosted.test, phoneToken)).toBe(200);

    const page = await hosted.newPage();
    await signInByForm(page, admin.email);
    await page.goto('/console/devices');
    await page.getByLabel('Device id').fill('lost-phone-1');
    await page.getByLabel('Reason (optional)').fill('reported stolen');
    await confirmAndPress(page, 'Add to the blacklist', /block this device/);
    await page.waitForURL('**/console/devices?done=added**');
    expect(await page.getByRole('status').textContent()).toContain('1 session was ended');
    expect(await accessStatus(hosted.test, phoneToken)).toBe(401);
    await screenshot(page, 'console-devices');

    await page.goto('/console/audit');
    await page.getByLabel('Action').fill('device.blacklisted');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.locator('table').textContent()).toContain('device.blacklisted');
    await screenshot(page, 'console-audit');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = await (await download.createReadStream()).toArray();
    const rows = Buffer.concat(csv).toString('utf8').trim().split(/\r?\n/);
    expect(rows[0]).toBe('id,createdAt,action,actorUserId,targetUserId,ipAddress,userAgent,details');
    expect(rows.slice(1).every((row) => row.includes('"device.blacklisted"'))).toBe(true);
    expect(rows.some((row) => row.includes('lost-phone-1') && row.includes('reported stolen'))).toBe(true);
  });

  it('refuses the console to a USER', async () => {
    const user = await hosted.verifiedUser('plain');
    const page = await hosted.newPage();
    await signInByForm(page, user.email);
    const response = await page.goto('/console');
    expect(response?.status()).toBe(403);
    expect(await page.getByRole('heading', { name: 'Not allowed' }).isVisible()).toBe(true);
    await screenshot(page, 'console-not-allowed');
  });

  it('creates a user who starts verified', async () => {
    const page = await hosted.newPage();
    await signInByForm(page, superAdmin.email);
    await page.goto('/console/users');
    await page.getByRole('link', { name: 'Create a user' }).click();
    const email = uniqueEmail('created');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('First password').fill(strongPassword);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.waitForURL('**?done=created');
    expect(await page.locator('dl.facts').textContent()).toContain('verified');
    expect((await post(hosted.test.app, '/auth/login', { email, password: strongPassword })).statusCode).toBe(200);
  });
});
