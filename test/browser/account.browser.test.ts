import type { BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFrom, strongPassword } from '../helpers.js';
import { chromiumPath, type HostedPages, screenshot, signInByForm, startHostedPages } from './harness.js';

// What the bundled DB-IP data answers for these, as src/modules/login-history/geo.test.ts checks.
const london = { ip: '81.2.69.142', place: 'London, GB' };
const mountainView = { ip: '8.8.8.8', place: 'Mountain View, US' };
const firefoxOnWindows = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

const pathOf = (page: Page) => new URL(page.url()).pathname;

/** The sentence tied to a field: shown beside it and read with it by a screen reader. */
async function sentenceBeside(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  expect(await input.getAttribute('aria-invalid')).toBe('true');
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`#${id}`).textContent()));
  return texts.join(' ');
}

/** A browser whose next page load finds its session gone is sent to sign in. */
async function expectSignedOut(page: Page) {
  await page.goto('/account');
  expect(pathOf(page)).toBe('/login');
}

describe.skipIf(!chromiumPath)('the account pages, used as a person would', () => {
  let hosted: HostedPages;
  // The proxy setting lets the API sign-ins of the history case come from public addresses; the browser is on loopback.
  beforeAll(async () => {
    hosted = await startHostedPages({ TRUST_PROXY: 'true' });
  });
  afterAll(() => hosted?.close());

  /** The person on a fresh browser profile (its own cookies and device), signed in at /account. */
  async function signedInBrowser(email: string, options?: BrowserContextOptions) {
    const page = await hosted.newPage(options);
    await signInByForm(page, email);
    expect(pathOf(page)).toBe('/account');
    return page;
  }

  /** A new account, signed in on a fresh browser profile. */
  async function signedInUser(prefix: string, options?: BrowserContextOptions) {
    const { email } = await hosted.verifiedUser(prefix);
    return { email, page: await signedInBrowser(email, options) };
  }

  it('saves the first and last name, which are still there after a reload', async () => {
    const { page } = await signedInUser('profile');
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hopper');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.waitForURL('**/account?saved=1');
    expect(await page.getByRole('status').textContent()).toContain('Your profile was saved.');

    await page.goto('/account');
    expect(await page.getByLabel('First name').inputValue()).toBe('Grace');
    expect(await page.getByLabel('Last name').inputValue()).toBe('Hopper');
    await screenshot(page, 'account-profile');
  });

  it('adds a phone number and verifies it with the code sent by SMS', async () => {
    const { page } = await signedInUser('phone');
    const phoneNumber = `+1415555${String(Date.now() % 10_000).padStart(4, '0')}`;
    await page.getByLabel('Phone number').fill(phoneNumber);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.waitForURL('**/account?saved=1');
    expect(await page.getByText('Your phone number is not verified yet.').isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Send me a code by SMS' }).click();
    await page.waitForURL('**/account/phone');
    expect(await page.getByRole('heading', { name: 'Verify your phone' }).isVisible()).toBe(true);
    expect(await page.getByText(`We sent a 6-digit code to ${phoneNumber}.`).isVisible()).toBe(true);
    await hosted.test.platform.outbox.drain();
    const sms = hosted.test.mailbox.messages.findLast(
      (message) => message.channel === 'sms' && message.to === phoneNumber,
    );
    await page.getByLabel('Code', { exact: true }).fill(codeFrom(sms?.text));
    await page.getByRole('button', { name: 'Verify' }).click();

    await page.waitForURL('**/account?phone=verified');
    expect(await page.getByRole('status').textContent()).toContain('Your phone number is verified.');
    expect(await page.getByText('Phone number verified.').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Send me a code by SMS' }).count()).toBe(0);
    await screenshot(page, 'account-phone');
  });

  it('changes the password with the current one, and signs out the other browser', async () => {
    const { email, page } = await signedInUser('password');
    const other = await signedInBrowser(email);
    const newPassword = 'a brand new passphrase for the test';

    await page.getByRole('link', { name: 'Password' }).click();
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await sentenceBeside(page, 'Current password')).toContain('Your current password is not right.');

    await page.getByLabel('Current password').fill(strongPassword);
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Your password was changed');
    await page.goto('/account');
    expect(pathOf(page)).toBe('/account');
    await expectSignedOut(other);

    const fresh = await hosted.newPage();
    await signInByForm(fresh, email, newPassword);
    expect(pathOf(fresh)).toBe('/account');
  });

  it('lists both browsers on the devices page and signs the other one out', async () => {
    const { email, page } = await signedInUser('devices');
    const other = await signedInBrowser(email, { userAgent: firefoxOnWindows });

    await page.getByRole('link', { name: 'Devices' }).click();
    await page.waitForURL('**/account/sessions');
    // Besides the two browsers, the list holds the API session that confirmed the email.
    const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
    const listed = await rows.count();
    const mine = rows.filter({ hasText: 'This browser' });
    expect(await mine.count()).toBe(1);
    expect(await mine.textContent()).toContain('Chrome on Linux');
    const firefox = rows.filter({ hasText: 'Firefox on Windows' });
    expect(await firefox.count()).toBe(1);
    expect(await firefox.getByText('This browser').count()).toBe(0);
    await screenshot(page, 'account-devices');

    await firefox.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('That device was signed out.');
    expect(await rows.count()).toBe(listed - 1);
    expect(await page.getByText('Firefox on Windows').count()).toBe(0);
    await expectSignedOut(other);
  });

  it('shows sign-ins with their places, a new location and a failed attempt in the history', async () => {
    const { email, page } = await signedInUser('history');
    const apiSignIn = (ip: string, password: string) =>
      hosted.test.app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'x-forwarded-for': ip },
        payload: { email, password },
      });
    expect((await apiSignIn(london.ip, strongPassword)).statusCode).toBe(200);
    expect((await apiSignIn(mountainView.ip, strongPassword)).statusCode).toBe(200);
    expect((await apiSignIn(mountainView.ip, 'a wrong password')).statusCode).toBe(401);

    await page.getByRole('link', { name: 'Sign-in history' }).click();
    await page.waitForURL('**/account/history');
    const rows = page.getByRole('row');
    const fromLondon = rows.filter({ hasText: london.ip });
    expect(await fromLondon.textContent()).toContain(london.place);
    expect(await fromLondon.getByText('Signed in').count()).toBe(1);
    expect(await fromLondon.getByText('New location').count()).toBe(0);
    const fromUs = rows.filter({ hasText: mountainView.ip }).filter({ hasText: 'Signed in' });
    expect(await fromUs.textContent()).toContain(mountainView.place);
    expect(await fromUs.getByText('New location').isVisible()).toBe(true);
    const failed = rows.filter({ has: page.getByText('Failed', { exact: true }) });
    expect(await failed.count()).toBe(1);
    expect(await failed.textContent()).toContain(mountainView.ip);
    await screenshot(page, 'account-history');
  });

  it('keeps the account after a wrong password and deletes it with the right one', async () => {
    const { email, page } = await signedInUser('delete');
    await page.getByRole('link', { name: 'Delete account' }).click();
    await page.getByLabel('Your password, to confirm').fill('not my password at all');
    await page.getByRole('button', { name: 'Delete my account' }).click();
    expect(await sentenceBeside(page, 'Your password, to confirm')).toContain('Your current password is not right.');
    await page.goto('/account');
    expect(await page.getByText(`Signed in as ${email}`).isVisible()).toBe(true);

    await page.getByRole('link', { name: 'Delete account' }).click();
    await page.getByLabel('Your password, to confirm').fill(strongPassword);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Your account was deleted' }).isVisible()).toBe(true);
    expect(await page.getByText(email).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await screenshot(page, 'account-deleted');

    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(strongPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(await page.getByRole('alert').textContent()).toContain('That email and password do not match');
    expect(pathOf(page)).toBe('/login');
  });

  it('fits a 360 px wide phone without sideways scrolling', async () => {
    const { page } = await signedInUser('narrow', { viewport: { width: 360, height: 740 } });
    expect(await page.getByLabel('Phone number').isVisible()).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await screenshot(page, 'account-360');
  });

  it('signs in with the keyboard alone', async () => {
    const { email } = await hosted.verifiedUser('keyboard');
    const page = await hosted.newPage();
    await page.goto('/login');
    const focusedId = () => page.evaluate('document.activeElement?.id');
    // No Tab is needed to reach the email: the page opens with the focus in it.
    expect(await focusedId()).toBe('field-email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('field-password');
    await page.keyboard.type(strongPassword);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/account');
    expect(await page.getByText(`Signed in as ${email}`).isVisible()).toBe(true);
  });
});
