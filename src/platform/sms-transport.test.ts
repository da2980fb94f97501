import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioSmsTransport, createWebhookSmsTransport } from './sms-transport.js';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let baseUrl: string;
const seen: Seen[] = [];
let nextStatus = 201;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body });
      response.writeHead(nextStatus, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;

describe('Twilio transport', () => {
  it("posts to the account's Messages resource with basic auth and a form body", async () => {
    nextStatus = 201;
    const transport = createTwilioSmsTransport({
      accountSid,
      authToken: 'twilio-auth-token-0123',
      fromNumber: '+15005550006',
      apiUrl: baseUrl,
    });
    await transport.send({ to: '+14155550100', purpose: 'login', text: 'Your sign-in code is 123456' });
    const request = seen.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${accountSid}:twilio-auth-token-0123`).toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      To: '+14155550100',
      From: '+15005550006',
      Body: 'Your sign-in code is 123456',
    });
  });

  it('fails the delivery (so the outbox retries) when Twilio refuses', async () => {
    nextStatus = 429;
    const transport = createTwilioSmsTransport({
      accountSid,
      authToken: 'x'.repeat(16),
      fromNumber: '+15005550006',
      apiUrl: baseUrl,
    });
    await expect(transport.send({ to: '+14155550100', purpose: 'login', text: 'code' })).rejects.toThrow(
      'Twilio answered 429',
    );
  });
});

describe('webhook transport', () => {
  it('fails the delivery on a non-2xx answer', async () => {
    nextStatus = 500;
    const transport = createWebhookSmsTransport(`${baseUrl}/sms`, 'secret-key-0123456789');
    await expect(transport.send({ to: '+14155550100', purpose: 'login', text: 'code' })).rejects.toThrow('500');
  });
});
