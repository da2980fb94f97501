import type { OutgoingMessage } from '../../platform/mail-transport.js';

export function accountCreatedEmail(to: string, publicUrl: string): OutgoingMessage {
  return {
    to,
    subject: 'An account was created for you',
    text: [
      `An administrator created a Gatehouse account for ${to} at ${publicUrl}.`,
      '',
      'Ask them for your first password, then change it. If you did not expect this, tell them.',
    ].join('\n'),
  };
}
