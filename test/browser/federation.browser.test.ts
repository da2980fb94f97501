import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers.js';
import {
  startUpstreamProvider,
  type UpstreamProvider,
  upstreamClientId,
  upstreamClientSecret,
} from '../upstream-provider.js';
import {
  chromiumPath,
  freePort,
  type HostedPages,
  linkIn,
  screenshot,
  signInByForm,
  startHostedPages,
} from './harness.js';

describe.skipIf(!chromiumPath)('sign in with an OpenID provider, in Chromium', () => {
  let hosted: HostedPages;
  let upstream: UpstreamProvider;

  beforeAll(async () => {
    const port = await freePort();
    upstream = await startUpstreamProvider([`http://127.0.0.1:${port}/auth/oauth/test/callback`]);
    hosted = await startHostedPages(
      {
        OIDC_TEST_ISSUER: upstream.issuer,
        OIDC_TEST_CLIENT_ID: upstreamClientId,
        OIDC_TEST_CLIENT_SECRET: upstreamClientSecret,
        OIDC_TEST_DISPLAY_NAME: 'Acme SSO',
      },
      { port },
    );
  });
  afterAll(async () => {
    await hosted?.close();
    await upstream?.close();
  });

  it('signs a new person up through the button on the sign-in page', async () => {
    const email = uniqueEmail('sso');
    upstream.signInAs({ sub: 'browser-1', email, email_verified: true, given_name: 'Mary', family_name: 'Jackson' });
    const page = await hosted.newPage();
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    // One "or" between the password form and the other ways in, however many there are.
    expect(await page.getByText('or', { exact: true }).filter({ visible: true }).count()).toBe(1);
    await screenshot(page, 'login-providers');
    await page.getByRole('link', { name: 'Continue with Acme SSO' }).click();
    await page.waitForURL('**/account');
    expect(await page.getByText(email).first().isVisible()).toBe(true);

    await page.getByRole('link', { name: 'Linked sign-ins' }).click();
    expect(await page.getByText('Acme SSO').first().isVisible()).toBe(true);
    await screenshot(page, 'account-identities');
    // Its only way in: unlinking is refused, in words.
    await page.getByRole('button', { name: 'Unlink Acme SSO' }).click();
    expect(await page.getByText('This is your last way to sign in').isVisible()).toBe(true);
    await screenshot(page, 'account-identities-last');

    // So the owner sets a password, through the same emailed link as a reset, and then may unlink.
    await page.getByRole('link', { name: 'Password' }).click();
    await screenshot(page, 'account-set-password');
    await page.getByRole('button', { name: 'Email me a link' }).click();
    expect(await page.getByText(`We sent a link to ${email}`).isVisible()).toBe(true);
    await page.goto(linkIn(await hosted.mailTo(email), `${hosted.baseUrl}/reset-password?token=`));
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Save the new password' }).click();
    await signInByForm(page, email, 'a brand new passphrase');
    await page.goto('/account/identities');
    await page.getByRole('button', { name: 'Unlink Acme SSO' }).click();
    await page.waitForURL('**/account/identities?done=unlinked');
  });

  it('refuses, with a page that says what to do, an identity whose email the provider did not verify', async () => {
    const { email } = await hosted.verifiedUser('owner');
    upstream.signInAs({ sub: 'browser-2', email, email_verified: false });
    const page = await hosted.newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Continue with Acme SSO' }).click();
    await page.waitForLoadState();
    expect(await page.getByText('Sign in with your password, then link it from your account page.').isVisible()).toBe(
      true,
    );
    await screenshot(page, 'federated-email-unverified');

    // Which is what the owner then does: signed in with the password, they link it themselves.
    await signInByForm(page, email);
    await page.goto('/account/identities');
    await page.getByRole('button', { name: 'Link Acme SSO' }).click();
    await page.waitForURL('**/account/identities?done=linked');
    expect(await page.getByText('The sign-in was linked.').isVisible()).toBe(true);
    await screenshot(page, 'account-identities-linked');
    await page.getByRole('button', { name: 'Unlink Acme SSO' }).click();
    await page.waitForURL('**/account/identities?done=unlinked');
  });
});
