import type { DeviceInfo } from '../core/client.js';
import type { SignInFlag } from '../core/sign-in.js';
import type { GeoLocation } from '../platform/geoip.js';
import type { OutgoingMessage } from '../platform/outbox.js';
import { type Brand, type EmailAction, emailHtml } from './email-layout.js';

type Email = Extract<OutgoingMessage, { channel: 'email' }>;

const minutesOf = (ttlSeconds: number) => Math.max(1, Math.round(ttlSeconds / 60));
const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;

const flagReasons: Record<SignInFlag, string> = {
  new_location: 'it came from a country we have not seen for your account recently',
  impossible_travel: 'it came from too far away to be reached since your previous sign-in',
  new_device: 'it came from a device we do not recognise',
};

export interface SignInSeen {
  flags: SignInFlag[];
  when: Date;
  location: GeoLocation | null;
  device: DeviceInfo;
  ipAddress: string;
}

/**
 * Every email Gatehouse sends, one function per purpose (a template is never
 * borrowed for another purpose), each with a text part and an HTML part in
 * the brand's colors whose button leads to the hosted page that acts on it.
 * Links are built from PUBLIC_URL, never from a request.
 */
export function createEmails({ brand, publicUrl }: { brand: Brand; publicUrl: string }) {
  const page = (path: string) => `${publicUrl}${path}`;

  /** Blank lines separate paragraphs; the action's address closes the text part. */
  function email(to: string, subject: string, lines: string[], action?: EmailAction): Email {
    const paragraphs = lines.join('\n').split(/\n\n+/);
    const text = action ? `${lines.join('\n')}\n\n${action.label}: ${action.url}` : lines.join('\n');
    return { channel: 'email', to, subject, text, html: emailHtml(brand, paragraphs, action) };
  }

  return {
    /** The code that proves a new account's address; the button opens the code page with it filled in. */
    verificationCode(to: string, code: string, ttlSeconds: number): Email {
      const link = page(`/verify-email?email=${encodeURIComponent(to)}&code=${code}`);
      return email(
        to,
        `Your verification code: ${code}`,
        [
          `Your verification code is ${code}`,
          '',
          `It expires in ${plural(minutesOf(ttlSeconds), 'minute')} and works once.`,
          'If you did not create an account, ignore this email.',
        ],
        { label: 'Verify my email', url: link },
      );
    },

    /** The code that signs an existing account in without its password (`POST /auth/otp/send`, purpose login). */
    signInCode(to: string, code: string, ttlSeconds: number): Email {
      return email(to, `Your sign-in code: ${code}`, [
        `Your sign-in code is ${code}`,
        '',
        `It expires in ${plural(minutesOf(ttlSeconds), 'minute')} and works once. Do not share it.`,
        'If you did not try to sign in, ignore this email: without the code nobody can use it.',
      ]);
    },

    /** Sent instead of a code when someone tries to register an address that already has an account. */
    alreadyRegistered(to: string): Email {
      return email(
        to,
        'Someone tried to create an account with your email',
        [
          'Someone tried to create a new account with this email address, which already has one.',
          '',
          `If it was you, sign in instead, or reset your password at ${page('/forgot-password')} if you have forgotten it.`,
          'If it was not you, no action is needed: your account is unchanged.',
        ],
        { label: 'Sign in', url: page('/login') },
      );
    },

    passwordReset(to: string, link: string, token: string, ttlSeconds: number): Email {
      return email(
        to,
        'Reset your password',
        [
          'Someone asked to reset the password of your account. To choose a new one, open the link below.',
          '',
          `Or paste this code into the app: ${token}`,
          '',
          `The link works once and expires in ${minutesOf(ttlSeconds)} minutes. Asking again voids it.`,
          'If you did not ask, ignore this email: your password is unchanged.',
        ],
        { label: 'Choose a new password', url: link },
      );
    },

    passwordChanged(to: string, how: 'reset' | 'change', when: Date): Email {
      return email(
        to,
        'Your password was changed',
        [
          `The password of your account was ${how === 'reset' ? 'reset with an emailed link' : 'changed'} at ${when.toISOString()}.`,
          how === 'reset' ? 'Every device was signed out.' : 'Your other devices were signed out.',
          '',
          'If this was not you, reset your password now and contact your administrator.',
        ],
        { label: 'Reset my password', url: page('/forgot-password') },
      );
    },

    twoFactorChanged(to: string, change: 'enabled' | 'disabled', method: string, when: Date): Email {
      return email(
        to,
        `Two-factor authentication ${change}`,
        [
          `Two-factor authentication (${method}) was ${change} on your account at ${when.toISOString()}.`,
          '',
          change === 'enabled'
            ? 'Keep your recovery codes somewhere safe: each one signs you in once if you lose your device.'
            : 'Your account is now protected by your password alone.',
          'If this was not you, reset your password now and contact your administrator.',
        ],
        { label: 'Review my account', url: page('/account') },
      );
    },

    /** A new way into the account: its owner hears of it at once. */
    passkeyAdded(to: string, name: string, when: Date): Email {
      return email(
        to,
        'A passkey was added to your account',
        [
          `A passkey named "${name}" was added to your account at ${when.toISOString()}. It can sign you in without your password.`,
          '',
          'If this was not you, remove it on your account page and change your password now.',
        ],
        { label: 'Review my passkeys', url: page('/account/passkeys') },
      );
    },

    /** Another way into the account, through a provider: its owner hears of it at once. */
    identityLinked(to: string, providerName: string, when: Date): Email {
      return email(
        to,
        `${providerName} sign-in was linked to your account`,
        [
          `Signing in with ${providerName} was linked to your ${brand.name} account at ${when.toISOString()}. It can sign you in without your password.`,
          '',
          'If this was not you, unlink it on your account page and change your password now.',
        ],
        { label: 'Review linked sign-ins', url: page('/account/identities') },
      );
    },

    accountCreated(to: string): Email {
      return email(
        to,
        'An account was created for you',
        [
          `An administrator created a ${brand.name} account for ${to} at ${publicUrl}.`,
          '',
          'Ask them for your first password, then change it. If you did not expect this, tell them.',
        ],
        { label: 'Sign in', url: page('/login') },
      );
    },

    /** Password sign-in paused after too many failures (brute-force protection). */
    signInPaused(to: string, failures: number, until: Date): Email {
      return email(
        to,
        'Sign-in to your account is paused',
        [
          `After ${failures} failed sign-in attempts, password sign-in to your account is paused until ${until.toISOString()}.`,
          '',
          'If it was you, wait and try again, or reset your password now: a reset lifts the pause.',
          'If it was not you, someone may be guessing your password. Reset it and consider turning on two-factor authentication.',
        ],
        { label: 'Reset my password', url: page('/forgot-password') },
      );
    },

    signInAlert(to: string, { flags, when, location, device, ipAddress }: SignInSeen): Email {
      const place = location ? [location.city, location.country].filter(Boolean).join(', ') : 'unknown location';
      const deviceName = [device.deviceName, device.platform].filter(Boolean).join(' on ') || 'an unnamed device';
      return email(
        to,
        'New sign-in to your account',
        [
          `Your account was signed in at ${when.toISOString()} from ${place} (${ipAddress}) on ${deviceName}.`,
          `We are telling you because ${flags.map((flag) => flagReasons[flag]).join(', and ')}.`,
          '',
          'If this was you, there is nothing to do.',
          'If it was not: change your password, sign out the devices you do not recognise on your account page, and turn on two-factor authentication.',
        ],
        { label: 'Review my devices', url: page('/account/sessions') },
      );
    },

    failuresBeforeSuccess(to: string, failures: number, when: Date, ipAddress: string): Email {
      return email(
        to,
        'Failed sign-in attempts before a successful sign-in',
        [
          `Your account was signed in at ${when.toISOString()} from ${ipAddress}, after ${failures} failed attempts with a wrong password.`,
          '',
          'If the failures were yours, there is nothing to do. If not, someone may be guessing your password: change it and turn on two-factor authentication.',
        ],
        { label: 'Review my account', url: page('/account') },
      );
    },
  };
}

export type Emails = ReturnType<typeof createEmails>;
