import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessStatus, strongPassword } from '../helpers.js';
import { chromiumPath, type HostedPages, linkIn, screenshot, signInByForm, startHostedPages } from './harness.js';

const newPassword = 'a brand new passphrase for this';

describe.skipIf(!chromiumPath)('signing in and recovering a password, with JavaScript turned off', () => {
  let hosted: HostedPages;
  beforeAll(async () => {
    hosted = await startHostedPages();
  });
  afterAll(() => hosted?.close());

  it('signs in, says why a wrong password failed, and signs out', async () => {
    const { email } = await hosted.verifiedUser('nojs-signin');
    const page = await hosted.newPage({ javaScriptEnabled: false });
    await signInByForm(page, email, 'not my password at all', { fails: true });
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('That email and password do not match');
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    await screenshot(page, 'login-error');

    await page.getByLabel('Password').fill(strongPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL('**/account');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?signed_out=1');
    expect(await page.getByText('You have signed out.').isVisible()).toBe(true);
    await page.goto('/account');
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('resets the password from the emailed link, signs every device out, and signs in with the new one', async () => {
    const { email, accessToken } = await hosted.verifiedUser('reset');
    const signedInElsewhere = await hosted.newPage();
    await signInByForm(signedInElsewhere, email);
    await signedInElsewhere.waitForURL('**/account');

    const page = await hosted.newPage({ javaScriptEnabled: false });
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    expect(await page.getByRole('status').textContent()).toContain('If an account uses this address');
    await screenshot(page, 'forgot-password');

    const mail = await hosted.mailTo(email);
    expect(mail).toContain('Choose a new password');
    await page.goto(linkIn(mail, `${hosted.baseUrl}/reset-password?token=`));
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Save the new password' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Use at least 8 characters');
    await page.getByLabel('New password').fill(newPassword);
    await screenshot(page, 'reset-password');
    await page.getByRole('button', { name: 'Save the new password' }).click();
    expect(await page.getByRole('status').textContent()).toContain(
      'every device that was signed in has been signed out',
    );
    await screenshot(page, 'reset-password-done');

    // The browser and the app that were signed in before are signed out.
    await signedInElsewhere.reload();
    expect(new URL(signedInElsewhere.url()).pathname).toBe('/login');
    expect(await accessStatus(hosted.test, accessToken)).toBe(401);

    await page.getByRole('link', { name: 'Sign in with the new password' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL('**/account');
  });

  it('refuses a reset link that was already used, with a way to ask for a new one', async () => {
    const { email } = await hosted.verifiedUser('reset-twice');
    const page = await hosted.newPage({ javaScriptEnabled: false });
    await page.goto('/forgot-password');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    const link = linkIn(await hosted.mailTo(email), `${hosted.baseUrl}/reset-password?token=`);
    for (const attempt of [1, 2]) {
      await page.goto(link);
      await page.getByLabel('New password').fill(`${newPassword} ${attempt}`);
      await page.getByRole('button', { name: 'Save the new password' }).click();
    }
    expect(await page.getByRole('alert').textContent()).toContain('not valid or was already used');
    expect(await page.getByRole('button', { name: 'Send the link' }).isVisible()).toBe(true);
  });
});
