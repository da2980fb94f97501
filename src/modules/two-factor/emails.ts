import type { OutgoingMessage } from '../../platform/mail-transport.js';

export function twoFactorChangedEmail(
  to: string,
  change: 'enabled' | 'disabled',
  method: string,
  when: Date,
): OutgoingMessage {
  return {
    to,
    subject: `Two-factor authentication ${change}`,
    text: [
      `Two-factor authentication (${method}) was ${change} on your account at ${when.toISOString()}.`,
      '',
      change === 'enabled'
        ? 'Keep your recovery codes somewhere safe: each one signs you in once if you lose your device.'
        : 'Your account is now protected by your password alone.',
      'If this was not you, reset your password now and contact your administrator.',
    ].join('\n'),
  };
}

export function secondFactorSms(to: string, code: string): OutgoingMessage {
  return { to, subject: 'two_factor', text: `Your sign-in code is ${code}. Do not share it.` };
}
