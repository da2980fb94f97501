import type { OutgoingMessage } from '../../platform/mail-transport.js';

export function verificationCodeEmail(to: string, code: string, ttlSeconds: number): OutgoingMessage {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  return {
    to,
    subject: `Your verification code: ${code}`,
    text: [
      `Your verification code is ${code}`,
      '',
      `It expires in ${minutes} minute${minutes === 1 ? '' : 's'} and works once.`,
      'If you did not create an account, ignore this email.',
    ].join('\n'),
  };
}

/** Sent instead of a code when someone tries to register an address that already has an account. */
export function alreadyRegisteredEmail(to: string): OutgoingMessage {
  return {
    to,
    subject: 'Someone tried to create an account with your email',
    text: [
      'Someone tried to create a new account with this email address, which already has one.',
      '',
      'If it was you, sign in instead, or reset your password if you have forgotten it.',
      'If it was not you, no action is needed: your account is unchanged.',
    ].join('\n'),
  };
}
