import type { OutgoingMessage } from '../../platform/mail-transport.js';

export function passwordResetEmail(to: string, link: string, token: string, ttlSeconds: number): OutgoingMessage {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  return {
    to,
    subject: 'Reset your password',
    text: [
      'Someone asked to reset the password of your account. To choose a new one, open:',
      '',
      link,
      '',
      `Or paste this code into the app: ${token}`,
      '',
      `The link works once and expires in ${minutes} minutes. Asking again voids it.`,
      'If you did not ask, ignore this email: your password is unchanged.',
    ].join('\n'),
  };
}

export function passwordChangedEmail(to: string, how: 'reset' | 'change', when: Date): OutgoingMessage {
  return {
    to,
    subject: 'Your password was changed',
    text: [
      `The password of your account was ${how === 'reset' ? 'reset with an emailed link' : 'changed'} at ${when.toISOString()}.`,
      how === 'reset' ? 'Every device was signed out.' : 'Your other devices were signed out.',
      '',
      'If this was not you, reset your password now and contact your administrator.',
    ].join('\n'),
  };
}
