import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFrom, strongPassword, uniqueEmail } from '../helpers.js';
import { chromiumPath, type HostedPages, linkIn, screenshot, startHostedPages } from './harness.js';

describe.skipIf(!chromiumPath)('signing up on the hosted pages', () => {
  let hosted: HostedPages;
  beforeAll(async () => {
    hosted = await startHostedPages();
  });
  afterAll(() => hosted?.close());

  it('registers, follows the emailed link that fills in the code, and lands signed in on the account page', async () => {
    const page = await hosted.newPage();
    const email = uniqueEmail('signup');
    await page.goto('/login');
    await screenshot(page, 'login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(strongPassword);
    await screenshot(page, 'register');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect.poll(() => page.url()).toContain('/verify-email');
    await expect(page.getByRole('heading', { name: 'Confirm your email' }).isVisible()).resolves.toBe(true);
    const mail = await hosted.mailTo(email);
    const code = codeFrom(mail);
    const link = linkIn(mail, `${hosted.baseUrl}/verify-email?`);
    await page.goto(link);
    expect(await page.getByLabel('Code').inputValue()).toBe(code);
    await screenshot(page, 'verify-email');
    await page.getByRole('button', { name: 'Confirm' }).click();

    await expect.poll(() => new URL(page.url()).pathname).toBe('/account');
    expect(await page.getByText(`Signed in as ${email}`).isVisible()).toBe(true);
    expect(await page.getByLabel('First name').inputValue()).toBe('Ada');
    await screenshot(page, 'account');
  });

  it('shows the password rule next to the field, with JavaScript turned off', async () => {
    const page = await hosted.newPage({ javaScriptEnabled: false });
    await page.goto('/register');
    await page.getByLabel('Email').fill(uniqueEmail('nojs'));
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('Use at least 8 characters');
    // The field is marked invalid, described by its error, and focused first.
    const password = page.getByLabel('Password');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await password.evaluate((input) => input === input.ownerDocument.activeElement)).toBe(true);
    await screenshot(page, 'register-error-nojs');
  });

  it('registers and confirms with JavaScript turned off, typing the code by hand', async () => {
    const page = await hosted.newPage({ javaScriptEnabled: false });
    const email = uniqueEmail('nojs');
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(strongPassword);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Code').fill(codeFrom(await hosted.mailTo(email)));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account');
  });
});
