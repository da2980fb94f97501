import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from './browser/harness.js';
import { buildTestApp, post, strongPassword, type TestApp, uniqueEmail } from './helpers.js';

const outputDir = new URL('../test-output/', import.meta.url).pathname;

describe.skipIf(!chromiumPath)('GET /docs in a real browser', () => {
  let test: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    test = await buildTestApp({ realClock: true });
    await test.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => test.close());

  it('renders the endpoint list from local assets and can call the API with a token', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const outsideRequests: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(baseUrl) && !request.url().startsWith('data:'))
          outsideRequests.push(request.url());
      });
      await page.goto(`${baseUrl}/docs/`);
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      const operations = await page.locator('.opblock').count();
      expect(operations).toBeGreaterThan(40);
      expect(await page.locator('.opblock-summary-path', { hasText: '/auth/login' }).count()).toBeGreaterThan(0);
      await mkdir(outputDir, { recursive: true });
      await page.screenshot({ path: `${outputDir}docs.png`, fullPage: false });
      expect(outsideRequests).toEqual([]);

      // What a newcomer does: sign in, then call a protected endpoint with the token, from the page's origin.
      const email = uniqueEmail('docs');
      const registered = await post(test.app, '/auth/register', { email, password: strongPassword });
      await post(test.app, '/auth/verify-email', { email, otp: registered.json().otp });
      const status = await page.evaluate(
        async ({ email, password }) => {
          const login = await fetch('/auth/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email, password }),
          });
          const { accessToken } = (await login.json()) as { accessToken: string };
          const profile = await fetch('/auth/profile', { headers: { authorization: `Bearer ${accessToken}` } });
          return profile.status;
        },
        { email, password: strongPassword },
      );
      expect(status).toBe(200);
    } finally {
      await browser.close();
    }
  });
});

if (!chromiumPath) {
  console.warn('Skipping the /docs browser test: no Chromium at /usr/bin/chromium (apt-get install chromium)');
}
