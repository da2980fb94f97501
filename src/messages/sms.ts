import type { OutgoingMessage } from '../platform/outbox.js';

// Every SMS Gatehouse sends, one function per purpose; the purpose travels with the message.

type Sms = Extract<OutgoingMessage, { channel: 'sms' }>;

export function phoneVerificationSms(to: string, code: string): Sms {
  return { channel: 'sms', to, purpose: 'verify_phone', text: `Your verification code is ${code}` };
}

export function signInCodeSms(to: string, code: string): Sms {
  return { channel: 'sms', to, purpose: 'login', text: `Your sign-in code is ${code}. Do not share it.` };
}

export function secondFactorSms(to: string, code: string): Sms {
  return { channel: 'sms', to, purpose: 'two_factor', text: `Your sign-in code is ${code}. Do not share it.` };
}
