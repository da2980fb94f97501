import { createHmac } from 'node:crypto';

export interface SmsMessage {
  to: string;
  text: string;
  /** Why the code was sent (`verify_phone`, `login`, `two_factor`): providers may route or label by it. */
  purpose: string;
}

/** Delivers one SMS or throws; retries are the outbox's business. */
export interface SmsTransport {
  send(message: SmsMessage): Promise<void>;
}

// A provider that hangs must not hold an outbox worker forever; the message is retried.
const requestTimeoutMs = 10_000;

/**
 * Posts `{ to, body, purpose }` as JSON to the operator's endpoint. The
 * `X-Gatehouse-Signature: sha256=<hex>` header is an HMAC of the exact body,
 * so the receiver can reject anything Gatehouse did not send.
 */
export function createWebhookSmsTransport(url: string, signingKey: string): SmsTransport {
  return {
    async send({ to, text, purpose }) {
      const body = JSON.stringify({ to, body: text, purpose });
      const signature = createHmac('sha256', signingKey).update(body).digest('hex');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gatehouse-signature': `sha256=${signature}` },
        body,
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      if (!response.ok) throw new Error(`SMS webhook answered ${response.status}`);
    },
  };
}

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  fromNumber: string;
  apiUrl: string;
}

/** Twilio's Messages API over fetch: no SDK, one request per message. */
export function createTwilioSmsTransport(settings: TwilioSettings): SmsTransport {
  const endpoint = `${settings.apiUrl}/2010-04-01/Accounts/${settings.accountSid}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`;
  return {
    async send({ to, text }) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ To: to, From: settings.fromNumber, Body: text }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      if (!response.ok) throw new Error(`Twilio answered ${response.status}`);
    },
  };
}

/** Development default: the SMS on standard output. */
export function createConsoleSmsTransport(
  write: (text: string) => void = (text) => process.stdout.write(text),
): SmsTransport {
  return {
    async send({ to, text, purpose }) {
      write(`\n----- sms (${purpose}) -----\nTo: ${to}\n\n${text}\n---------------------------\n`);
    },
  };
}
