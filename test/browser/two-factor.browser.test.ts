import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strongPassword } from '../helpers.js';
import { chromiumPath, type HostedPages, screenshot, signInByForm, startHostedPages } from './harness.js';

/** What the person's authenticator app shows, `offsetSteps` periods from now. */
function authenticatorCode(secret: string, offsetSteps = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  return totp.generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

describe.skipIf(!chromiumPath)('two-step verification on the hosted pages', () => {
  let hosted: HostedPages;
  beforeAll(async () => {
    hosted = await startHostedPages();
  });
  afterAll(() => hosted?.close());

  it('turns on an authenticator app, shows the recovery codes once, and asks for a code at the next sign-in', async () => {
    const { email } = await hosted.verifiedUser('2fa');
    const page = await hosted.newPage();
    await signInByForm(page, email);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account');

    await page.getByRole('link', { name: 'Two-step verification' }).click();
    await page.getByLabel('Your password').fill(strongPassword);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    expect(await page.getByRole('img', { name: /QR code/ }).isVisible()).toBe(true);
    const secret = (await page.locator('#totp-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, 'two-factor-setup');
    await page.getByLabel('Code from the app').fill(authenticatorCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();

    await expect.poll(() => page.getByRole('heading', { name: 'Your recovery codes' }).isVisible()).toBe(true);
    const codes = ((await page.locator('#recovery-codes').textContent()) ?? '').trim().split('\n');
    expect(codes).toHaveLength(10);
    const download = await page.getByRole('link', { name: 'Download' }).getAttribute('href');
    expect(decodeURIComponent(download ?? '')).toContain(codes[0]);
    expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await screenshot(page, 'recovery-codes');
    expect(await hosted.mailTo(email)).toContain('Two-factor authentication (totp) was enabled');

    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.getByText('You have signed out.').isVisible()).toBe(true);

    await signInByForm(page, email);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login/2fa');
    await page.getByLabel('Code', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('That code is not right');
    await screenshot(page, 'two-factor-sign-in-error');
    // The step used to turn it on is spent; the app's next code is accepted.
    await page.getByLabel('Code', { exact: true }).fill(authenticatorCode(secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account');

    // Lost the phone: a recovery code signs in once.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInByForm(page, email);
    await page.getByText('Lost your device? Use a recovery code').click();
    await page.getByLabel('Recovery code').fill(codes[0] ?? '');
    await screenshot(page, 'two-factor-recovery-code');
    await page.getByRole('button', { name: 'Use recovery code' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/account');
  });

  it('turns two-step verification off with the password and a current code', async () => {
    const { email } = await hosted.verifiedUser('2fa');
    const page = await hosted.newPage();
    await signInByForm(page, email);
    await page.goto('/account/two-factor');
    await page.getByLabel('Your password').fill(strongPassword);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.locator('#totp-secret').textContent())?.trim() ?? '';
    await page.getByLabel('Code from the app').fill(authenticatorCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('link', { name: 'I have saved them' }).click();
    await screenshot(page, 'two-factor-on');

    const turnOff = page.locator('form[action="/account/two-factor/disable"]');
    await turnOff.getByLabel('Your password').fill(strongPassword);
    await turnOff.getByLabel('A current code (or a recovery code)').fill(authenticatorCode(secret, 1));
    await turnOff.getByRole('button', { name: 'Turn off' }).click();
    await expect.poll(() => page.getByText('Two-step verification is off.').isVisible()).toBe(true);
    expect(await page.getByText('Off. Your account is protected by your password alone.').isVisible()).toBe(true);
    await screenshot(page, 'two-factor-off');
  });
});
