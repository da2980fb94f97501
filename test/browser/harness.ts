import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { createSmtpTransport } from '../../src/platform/mail-transport.js';
import { buildTestApp, codeFrom, post, strongPassword, type TestApp, uniqueEmail } from '../helpers.js';
import { type ReceivedMail, readableMail, startSmtpServer } from '../smtp-server.js';

// Debian's package; `.ci/run` installs it. Nothing is downloaded by the tests themselves.
export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const outputDir = new URL('../../test-output/', import.meta.url).pathname;

/** Debian's Chromium, headless, with nothing that would reach out of this machine. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** A loopback port nobody listens on yet (for a server whose address others must know before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface HostedPages {
  test: TestApp;
  baseUrl: string;
  browser: Browser;
  /** A fresh browser profile (cookies of its own), optionally without JavaScript or at phone width. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Delivers queued mail through the real SMTP server and returns the newest message to `address`, decoded. */
  mailTo(address: string): Promise<string>;
  /** An account registered and verified through the API (password `strongPassword`), its code read from SMTP. */
  verifiedUser(prefix?: string): Promise<{ email: string; userId: number; accessToken: string }>;
  close(): Promise<void>;
}

/**
 * The real server on a loopback port (PUBLIC_URL is that address, so the
 * links in emails lead back to it), email through a real SMTP server on
 * loopback, and Debian's Chromium.
 */
export async function startHostedPages(
  env: Record<string, string> = {},
  // Passkeys need a domain name as relying party: an IP address such as 127.0.0.1 cannot be one.
  { hostname = '127.0.0.1', port: chosenPort }: { hostname?: '127.0.0.1' | 'localhost'; port?: number } = {},
): Promise<HostedPages> {
  const received: ReceivedMail[] = [];
  const smtp = await startSmtpServer(received);
  const port = chosenPort ?? (await freePort());
  const baseUrl = `http://${hostname}:${port}`;
  const smtpUrl = `smtp://127.0.0.1:${smtp.port}`;
  const mailFrom = 'Gatehouse <no-reply@example.com>';
  const transport = createSmtpTransport(smtpUrl, mailFrom);
  const test = await buildTestApp({
    realClock: true,
    env: { PUBLIC_URL: baseUrl, MAIL_TRANSPORT: 'smtp', SMTP_URL: smtpUrl, MAIL_FROM: mailFrom, ...env },
    emailTransport: transport,
  });
  await test.app.listen({ port, host: '127.0.0.1' });
  const browser = await launchChromium();
  const hosted: HostedPages = {
    test,
    baseUrl,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        viewport: { width: 1024, height: 800 },
        ...options,
      });
      // A missing label or button fails the step that looked for it, well before the test's own timeout.
      context.setDefaultTimeout(8000);
      return context.newPage();
    },
    async mailTo(address) {
      await test.platform.outbox.drain();
      const mail = received.findLast((message) => message.to.includes(address));
      if (!mail) throw new Error(`no mail to ${address}`);
      return readableMail(mail);
    },
    async verifiedUser(prefix = 'user') {
      const email = uniqueEmail(prefix);
      await post(test.app, '/auth/register', { email, password: strongPassword });
      const otp = codeFrom(await hosted.mailTo(email));
      const verified = (await post(test.app, '/auth/verify-email', { email, otp })).json();
      return { email, userId: verified.user.id as number, accessToken: verified.accessToken as string };
    },
    async close() {
      await browser.close();
      await test.close();
      transport.close?.();
      await smtp.stop();
    },
  };
  return hosted;
}

/** Saves what the person sees, for someone to look at (`test-output/NAME.png`). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(outputDir, { recursive: true });
  await page.screenshot({ path: `${outputDir}${name}.png`, fullPage: true });
}

/** The first `http://…` address in a decoded email that starts with `prefix`. */
export function linkIn(mail: string, prefix: string): string {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}[^\\s"<>]*`).exec(mail);
  if (!match) throw new Error(`no link starting with ${prefix} in:\n${mail}`);
  return match[0].replace(/&amp;/g, '&');
}

/** Fills in the sign-in form and submits it; then waits to leave /login, unless the sign-in is meant to fail. */
export async function signInByForm(page: Page, email: string, password = strongPassword, { fails = false } = {}) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (!fails) await page.waitForURL((url) => url.pathname !== '/login');
}
