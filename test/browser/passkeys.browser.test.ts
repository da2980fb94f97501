import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, strongPassword } from '../helpers.js';
import { chromiumPath, type HostedPages, screenshot, signInByForm, startHostedPages } from './harness.js';

/** Chromium's virtual authenticator (DevTools protocol): a platform authenticator that verifies the user. */
async function withVirtualAuthenticator(page: Page) {
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('WebAuthn.enable');
  const { authenticatorId } = await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  authenticators.set(page, {
    setUserVerified: (isUserVerified: boolean) =>
      devtools.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified }),
    forgetPasskeys: () => devtools.send('WebAuthn.clearCredentials', { authenticatorId }),
  });
  return page;
}

const authenticators = new Map<
  Page,
  { setUserVerified(verified: boolean): Promise<unknown>; forgetPasskeys(): Promise<unknown> }
>();

/** As a browser without passkey autofill (conditional mediation), which the virtual authenticator would answer at once. */
async function withoutPasskeyAutofill(page: Page) {
  await page.addInitScript('PublicKeyCredential.isConditionalMediationAvailable = async () => false;');
}

async function addPasskey(page: Page, name: string) {
  await page.goto('/account/passkeys');
  await page.getByLabel('Name (so you can tell your passkeys apart)').fill(name);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.waitForURL('**/account/passkeys?done=added');
}

describe.skipIf(!chromiumPath)('passkeys on the hosted pages', () => {
  let hosted: HostedPages;
  beforeAll(async () => {
    hosted = await startHostedPages({}, { hostname: 'localhost' });
  });
  afterAll(() => hosted?.close());

  it('offers a passkey after a password sign-in, adds one, and signs in with it alone', async () => {
    const { email } = await hosted.verifiedUser('passkey');
    const page = await withVirtualAuthenticator(await hosted.newPage());
    await signInByForm(page, email);
    await expect.poll(() => page.getByText('This device can sign you in with a passkey').isVisible()).toBe(true);
    await screenshot(page, 'passkey-offer');

    await addPasskey(page, 'Test laptop');
    expect(await page.getByText('Your passkey was added.').isVisible()).toBe(true);
    expect(await page.getByText('Test laptop', { exact: true }).isVisible()).toBe(true);
    await screenshot(page, 'passkeys');

    // Passkey autofill: the sign-in page asks for a passkey as it opens; the authenticator answers.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/account');
    expect(await page.getByText(`Signed in as ${email}`).isVisible()).toBe(true);

    // Without autofill, the button does it.
    await withoutPasskeyAutofill(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?signed_out=1');
    await screenshot(page, 'login-passkey');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL('**/account');
    expect(await page.getByText(`Signed in as ${email}`).isVisible()).toBe(true);
  });

  it('answers the second step with a passkey when two-step verification is on', async () => {
    const { email, accessToken } = await hosted.verifiedUser('passkey-2fa');
    const page = await withVirtualAuthenticator(await hosted.newPage());
    await withoutPasskeyAutofill(page);
    await signInByForm(page, email);
    await addPasskey(page, 'Phone');
    const enabled = await post(
      hosted.test.app,
      '/auth/2fa/enable',
      { method: 'totp', password: strongPassword },
      accessToken,
    );
    expect(enabled.statusCode).toBe(200);
    const { Secret, TOTP } = await import('otpauth');
    const code = new TOTP({ secret: Secret.fromBase32(enabled.json().secret) }).generate();
    expect((await post(hosted.test.app, '/auth/2fa/verify', { code }, accessToken)).statusCode).toBe(200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInByForm(page, email);
    expect(new URL(page.url()).pathname).toBe('/login/2fa');
    await screenshot(page, 'two-factor-passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL('**/account');
  });

  it('refuses a passkey when the device did not verify the user, and fails cleanly once the passkey is gone', async () => {
    const { email } = await hosted.verifiedUser('passkey-refused');
    const page = await withVirtualAuthenticator(await hosted.newPage());
    await withoutPasskeyAutofill(page);
    await signInByForm(page, email);
    await addPasskey(page, 'Laptop');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?signed_out=1');
    const authenticator = authenticators.get(page);

    await authenticator?.setUserVerified(false);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect.poll(() => page.locator('[data-passkey-error]').textContent()).toMatch(/\S/);
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'passkey-refused');

    await authenticator?.setUserVerified(true);
    await authenticator?.forgetPasskeys();
    await page.locator('[data-passkey-error]').evaluate((element) => {
      element.textContent = '';
    });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect.poll(() => page.locator('[data-passkey-error]').textContent()).toMatch(/\S/);
    expect(new URL(page.url()).pathname).toBe('/login');
    // The password still works.
    await signInByForm(page, email);
    expect(new URL(page.url()).pathname).toBe('/account');
  });

  it('renames a passkey and removes it with the password', async () => {
    const { email } = await hosted.verifiedUser('passkey-manage');
    const page = await withVirtualAuthenticator(await hosted.newPage());
    await signInByForm(page, email);
    await addPasskey(page, 'Old name');
    await page.getByLabel('Name', { exact: true }).fill('Desk key');
    await page.getByRole('button', { name: 'Rename Old name' }).click();
    await page.waitForURL('**/account/passkeys?done=renamed');
    expect(await page.getByText('Desk key', { exact: true }).isVisible()).toBe(true);

    const removal = page.locator('form', { has: page.getByRole('button', { name: 'Remove Desk key' }) });
    await removal.getByLabel('Your password').fill(strongPassword);
    await removal.getByRole('button', { name: 'Remove Desk key' }).click();
    await page.waitForURL('**/account/passkeys?done=removed');
    expect(await page.getByText('You have no passkeys yet.').isVisible()).toBe(true);
  });
});
