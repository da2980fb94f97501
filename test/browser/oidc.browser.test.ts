import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as openid from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifiedUser, strongPassword } from '../helpers.js';
import { authorizationRequest, registerClient, relyingParty, startListening } from '../openid-harness.js';
import { chromiumPath, launchChromium, screenshot } from './harness.js';

/**
 * "Orders", the app signing people in with Gatehouse: a loopback server whose
 * callback and signed-out pages record the address the browser arrived at.
 */
async function startApp() {
  const arrivals: URL[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const title =
      url.pathname === '/signed-out'
        ? 'Signed out of Orders'
        : url.pathname === '/callback' && !url.searchParams.has('error')
          ? 'Signed in to Orders'
          : url.pathname === '/callback'
            ? 'Not signed in to Orders'
            : undefined;
    if (!title) {
      response.writeHead(404).end();
      return;
    }
    arrivals.push(url);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    callback: `${origin}/callback`,
    signedOut: `${origin}/signed-out`,
    /** The address the app was last called at, as its server saw it. */
    lastArrival(): URL {
      const last = arrivals.at(-1);
      if (!last) throw new Error('the app was never called');
      return last;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!chromiumPath)('signing in at an app through the OpenID provider, in Chromium', () => {
  let started: Awaited<ReturnType<typeof startListening>>;
  let app: Awaited<ReturnType<typeof startApp>>;
  let chromium: Browser;
  let person: { email: string; userId: number };
  // One browser profile carries the person through the steps below, in order: each starts where the one before left.
  let context: BrowserContext;
  let page: Page;
  let ordersIdToken: string;
  let orders: openid.Configuration;
  // What Chromium refused under a page's CSP (a blocked form target, style or script), for the steps to assert on.
  const refusedByPolicy: string[] = [];

  async function appFor(input: Parameters<typeof registerClient>[1]) {
    const client = await registerClient(started.test, {
      redirectUris: [app.callback],
      postLogoutRedirectUris: [app.signedOut],
      ...input,
    });
    return relyingParty(started.issuer, client);
  }

  /** The authorization request of `config`'s app, opened in `tab`; what the app needs to redeem the code. */
  async function openAuthorization(tab: Page, config: openid.Configuration) {
    const request = authorizationRequest(config, { redirect_uri: app.callback });
    await tab.goto((await request.url()).href);
    return request;
  }

  /** Waits for the browser to land on the app's callback, then redeems the code there as the app does. */
  async function codeAtApp(tab: Page, config: openid.Configuration, request: ReturnType<typeof authorizationRequest>) {
    await tab.waitForURL((url) => url.href.startsWith(app.callback));
    expect(await tab.getByRole('heading', { name: 'Signed in to Orders' }).isVisible()).toBe(true);
    const arrival = app.lastArrival();
    expect(arrival.href).toBe(tab.url());
    expect(arrival.searchParams.get('state')).toBe(request.state);
    expect(arrival.searchParams.get('code')).toBeTruthy();
    return openid.authorizationCodeGrant(config, arrival, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
  }

  beforeAll(async () => {
    [started, app, chromium] = await Promise.all([startListening(), startApp(), launchChromium()]);
    person = await createVerifiedUser(started.test);
    orders = await appFor({ name: 'Orders' });
    context = await chromium.newContext({ baseURL: started.publicUrl, viewport: { width: 1024, height: 800 } });
    // A missing heading or button fails the step that looked for it, well before the test's own timeout.
    context.setDefaultTimeout(8000);
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusedByPolicy.push(message.text());
    });
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await app?.close();
    await started?.test.close();
  });

  it('sends a person who is not signed in to the sign-in page, and back to the app with a code', async () => {
    const request = await openAuthorization(page, orders);
    await page.waitForURL((url) => url.pathname === '/login');
    expect(await page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await screenshot(page, 'oidc-sign-in');

    await page.getByLabel('Email').fill(person.email);
    await page.getByLabel('Password').fill(strongPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const tokens = await codeAtApp(page, orders, request);
    expect(tokens.claims()?.sub).toBe(String(person.userId));
    ordersIdToken = tokens.id_token as string;
    expect(refusedByPolicy).toEqual([]);
  });

  it('signs the same browser in at a second app without asking anything (single sign-on)', async () => {
    const billing = await appFor({ name: 'Billing' });
    const visited: string[] = [];
    const record = (frame: { url(): string }) => visited.push(frame.url());
    page.on('framenavigated', record);
    const request = await openAuthorization(page, billing);
    const tokens = await codeAtApp(page, billing, request);
    page.off('framenavigated', record);
    expect(tokens.claims()?.sub).toBe(String(person.userId));
    expect(visited.filter((url) => new URL(url).pathname === '/login')).toEqual([]);
  });

  it('asks before a third-party app gets anything, and sends it a code once allowed', async () => {
    const partner = await appFor({ name: 'Partner', firstParty: false });
    const request = await openAuthorization(page, partner);
    await page.getByRole('heading', { name: 'Allow Partner?' }).waitFor();
    for (const sentence of [
      'Know that it is you (your account id)',
      'Your name',
      'Your email address and whether it is confirmed',
    ]) {
      expect(await page.getByRole('listitem').filter({ hasText: sentence }).isVisible(), sentence).toBe(true);
    }
    expect(await page.getByText(person.email).first().isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Deny' }).isVisible()).toBe(true);
    await screenshot(page, 'oidc-consent');

    await page.getByRole('button', { name: 'Allow' }).click();
    const tokens = await codeAtApp(page, partner, request);
    expect(tokens.claims()?.sub).toBe(String(person.userId));
    expect(refusedByPolicy).toEqual([]);
  });

  it('tells a third-party app access_denied when the person says no', async () => {
    const partner = await appFor({ name: 'Partner', firstParty: false });
    const request = await openAuthorization(page, partner);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.href.startsWith(app.callback));
    expect(await page.getByRole('heading', { name: 'Not signed in to Orders' }).isVisible()).toBe(true);
    const arrival = app.lastArrival();
    expect(arrival.searchParams.get('error')).toBe('access_denied');
    expect(arrival.searchParams.get('state')).toBe(request.state);
    expect(arrival.searchParams.has('code')).toBe(false);
    expect(refusedByPolicy).toEqual([]);
  });

  it('signs out at the app’s request, ending the Gatehouse session too', async () => {
    const end = openid.buildEndSessionUrl(orders, {
      id_token_hint: ordersIdToken,
      post_logout_redirect_uri: app.signedOut,
      state: 'bye',
    });
    await page.goto(end.href);
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    expect(await page.getByText('Orders asks to sign you out.').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Stay signed in' }).isVisible()).toBe(true);
    await screenshot(page, 'oidc-sign-out');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    // The answer is a redirect to the app: a page whose form-action refuses it leaves the person where they were.
    await expect
      .poll(() => refusedByPolicy.length > 0 || page.url().startsWith(app.signedOut), { timeout: 5000 })
      .toBe(true);
    expect(refusedByPolicy).toEqual([]);
    await page.getByRole('heading', { name: 'Signed out of Orders' }).waitFor();
    expect(app.lastArrival().href).toBe(`${app.signedOut}?state=bye`);

    await page.goto('/account');
    await page.waitForURL((url) => url.pathname === '/login');
    expect(await page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
  });
});
