import { randomUUID } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Config } from '../../config.js';
import type { Principal } from '../../core/account.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { Secrets } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { DeviceService } from '../devices/service.js';
import type { ConfirmOwner } from '../sessions/confirm-owner.js';
import type { SignInCompletion } from '../sign-in-completion/service.js';
import { normalizeEmail } from '../users/email.js';
import type { UserRepository } from '../users/repository.js';
import { createPasskeyList, presentPasskey } from './list.js';
import type { PasskeyRepository, PasskeyRow } from './repository.js';

interface Deps {
  confirmOwner: ConfirmOwner;
  transaction: Transaction<{ users: UserRepository; passkeys: PasskeyRepository }>;
  passkeys: PasskeyRepository;
  users: UserRepository;
  devices: DeviceService;
  completion: SignInCompletion;
  outbox: Outbox;
  emails: Emails;
  secrets: Secrets;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'webauthn'>;
}

export type AssertionPurpose = 'login' | 'second_factor';

const challengeTtlSeconds = 300;

const bytesOf = (base64url: string) => new Uint8Array(Buffer.from(base64url, 'base64url'));
const base64urlOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** The challenge the browser signed, read from the client data it sent (checked again by the verifier). */
function signedChallenge(response: { response?: { clientDataJSON?: unknown } }): string | null {
  const clientData = response.response?.clientDataJSON;
  if (typeof clientData !== 'string') return null;
  try {
    const { challenge } = JSON.parse(Buffer.from(clientData, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof challenge === 'string' ? challenge : null;
  } catch {
    return null;
  }
}

/**
 * Passkeys (WebAuthn) as a first factor and a second factor. The ceremony is
 * @simplewebauthn/server's; the rules are ours: user verification required,
 * challenges single use and bound to their user (or to the discoverable flow,
 * or to the second-factor challenge they complete) for five minutes, and a
 * signature counter going backwards on a credential that is not synced is a
 * clone, refused and audited. Listing, renaming and removing them is
 * list.ts: it shares none of the ceremonies' challenge state.
 */
export function createPasskeyService(deps: Deps) {
  const { confirmOwner, passkeys, users, devices, completion, outbox, emails, secrets, audit, clock, config } = deps;
  const { rpId, rpName, origins } = config.webauthn;
  // An opaque, stable handle per account: the authenticator stores it, so it carries no email or id.
  const userHandle = (userId: number) =>
    new Uint8Array(Buffer.from(secrets.mac('webauthn-user', String(userId)), 'hex'));

  async function issueChallenge(
    purpose: string,
    challenge: string,
    userId: number | null,
    mfaChallengeId: string | null,
  ) {
    const id = randomUUID();
    const now = clock.now();
    await passkeys.deleteChallengesExpiredBefore(now);
    await passkeys.insertChallenge({
      id,
      challenge,
      purpose,
      userId,
      mfaChallengeId,
      createdAt: now,
      expiresAt: addSeconds(now, challengeTtlSeconds),
    });
    return id;
  }

  /** Request options for an assertion, and the opaque id of their challenge. */
  async function assertionOptions(
    purpose: AssertionPurpose,
    allow: Array<{ id: string; transports?: string[] }> | null,
    binding: { userId: number | null; mfaChallengeId: string | null },
  ) {
    const options = await generateAuthenticationOptions({
      rpID: rpId,
      userVerification: 'required',
      timeout: challengeTtlSeconds * 1000,
      ...(allow ? { allowCredentials: allow } : {}),
    });
    const challengeId = await issueChallenge(purpose, options.challenge, binding.userId, binding.mfaChallengeId);
    return { challengeId, options };
  }

  async function allowedFor(userId: number) {
    return (await passkeys.listPasskeys(userId)).map((row) => ({ id: row.credentialId, transports: row.transports }));
  }

  /**
   * Checks an assertion against its challenge and stored credential; returns
   * the credential it was made with. `expected` narrows whose it may be.
   */
  async function verifyAssertion(
    challengeId: string,
    purpose: AssertionPurpose,
    response: AuthenticationResponseJSON,
    expected: { userId?: number; mfaChallengeId?: string } = {},
  ): Promise<PasskeyRow> {
    const now = clock.now();
    const challenge = await passkeys.claimChallenge({ id: challengeId }, purpose, now);
    if (!challenge) throw new AppError('PASSKEY_CHALLENGE_INVALID');
    if (expected.mfaChallengeId && challenge.mfaChallengeId !== expected.mfaChallengeId) {
      throw new AppError('PASSKEY_CHALLENGE_INVALID');
    }
    const passkey = await passkeys.findByCredentialId(response.id);
    const owner = expected.userId ?? challenge.userId;
    if (!passkey || (owner !== null && owner !== undefined && passkey.userId !== owner)) {
      throw new AppError('PASSKEY_INVALID');
    }
    let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: [...origins],
        expectedRPID: rpId,
        requireUserVerification: true,
        // The counter is judged below, after the signature, so a clone is told apart from a forgery.
        credential: {
          id: passkey.credentialId,
          publicKey: bytesOf(passkey.publicKey),
          counter: 0,
          transports: passkey.transports,
        },
      });
    } catch (error) {
      throw new AppError('PASSKEY_INVALID', { cause: error });
    }
    if (!verification.verified) throw new AppError('PASSKEY_INVALID');
    const { newCounter } = verification.authenticationInfo;
    // A synced passkey lives on several devices, each with its own count (or none): only the count of a
    // single-device credential must always grow. The update is conditional, so two parallel uses of
    // one count cannot both pass.
    const synced = passkey.deviceType === 'multiDevice';
    if (!(await passkeys.recordUse(passkey.id, newCounter, now, { mustGrow: !synced }))) {
      await audit.record('passkey.clone_detected', {
        actorUserId: null,
        targetUserId: passkey.userId,
        details: { passkeyId: passkey.id, storedCounter: passkey.counter, presentedCounter: newCounter },
      });
      throw new AppError('PASSKEY_CLONE_DETECTED');
    }
    await audit.record('passkey.used', {
      actorUserId: passkey.userId,
      targetUserId: passkey.userId,
      details: { passkeyId: passkey.id, purpose },
    });
    return passkey;
  }

  return {
    verifyAssertion,
    assertionOptions,
    allowedFor,
    ...createPasskeyList(deps),
    countPasskeys: (userId: number) => passkeys.countPasskeys(userId),

    /** Creation options for a new passkey of the signed-in user; their existing ones are excluded. */
    async registrationOptions(principal: Principal, password?: string) {
      await confirmOwner(principal, password);
      const user = await users.findUserById(principal.userId);
      if (!user) throw new AppError('UNAUTHORIZED');
      const options = await generateRegistrationOptions({
        rpName,
        rpID: rpId,
        userName: user.email,
        userDisplayName: [user.firstName, user.lastName].filter(Boolean).join(' ') || user.email,
        userID: userHandle(user.id),
        attestationType: 'none',
        timeout: challengeTtlSeconds * 1000,
        excludeCredentials: await allowedFor(user.id),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      });
      await issueChallenge('register', options.challenge, user.id, null);
      return options;
    },

    async verifyRegistration(principal: Principal, response: RegistrationResponseJSON, name?: string) {
      const now = clock.now();
      const challenge = signedChallenge(response);
      const claimed = challenge
        ? await passkeys.claimChallenge({ challenge, userId: principal.userId }, 'register', now)
        : null;
      if (!claimed) throw new AppError('PASSKEY_CHALLENGE_INVALID');
      let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verification = await verifyRegistrationResponse({
          response,
          expectedChallenge: claimed.challenge,
          expectedOrigin: [...origins],
          expectedRPID: rpId,
          requireUserVerification: true,
        });
      } catch (error) {
        throw new AppError('PASSKEY_REGISTRATION_FAILED', { cause: error });
      }
      if (!verification.verified) throw new AppError('PASSKEY_REGISTRATION_FAILED');
      const { credential, credentialDeviceType, credentialBackedUp, aaguid } = verification.registrationInfo;
      const row = await passkeys.insertPasskey({
        id: randomUUID(),
        userId: principal.userId,
        credentialId: credential.id,
        publicKey: base64urlOf(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports ?? [],
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        aaguid,
        name: name?.trim() || 'Passkey',
        createdAt: now,
      });
      // The same authenticator registered twice (the exclusion list is only advice to the browser).
      if (!row) throw new AppError('PASSKEY_REGISTRATION_FAILED', { message: 'This passkey is already registered' });
      await audit.record('passkey.added', {
        actorUserId: principal.userId,
        targetUserId: principal.userId,
        details: { passkeyId: row.id, deviceType: row.deviceType, backedUp: row.backedUp },
      });
      const owner = await users.findUserById(principal.userId);
      if (owner) await outbox.enqueue(emails.passkeyAdded(owner.email, row.name, now));
      return { passkey: presentPasskey(row) };
    },

    /**
     * Options to sign in with a passkey. Given an address, the challenge is
     * bound to its account (only its passkeys will do), but the options never
     * list credentials: whether the address has an account, or passkeys, stays
     * unsaid. The browser offers the device's passkeys for this site, so
     * passkeys must be discoverable (resident keys are asked for).
     */
    async loginOptions(email: string | undefined) {
      const user = email === undefined ? null : await users.findUserByEmail(normalizeEmail(email));
      return assertionOptions('login', null, { userId: user?.id ?? null, mfaChallengeId: null });
    },

    /**
     * Signs in with a passkey. User verification was required, so the passkey
     * is both factors: no second step follows. Otherwise the same rules as a
     * password: blocked device, locked account, unverified address, history.
     */
    async signIn(
      input: { challengeId: string; response: AuthenticationResponseJSON; deviceInfo?: DeviceInfo | undefined },
      client: ClientContext,
    ) {
      const device = input.deviceInfo ?? {};
      await devices.assertAllowed(device.deviceId);
      let passkey: PasskeyRow;
      try {
        passkey = await verifyAssertion(input.challengeId, 'login', input.response);
      } catch (error) {
        if (error instanceof AppError) await completion.recordFailure(null, device, client, 'passkey', error.code);
        throw error;
      }
      const user = await users.findUserById(passkey.userId);
      if (!user) throw new AppError('PASSKEY_INVALID');
      await completion.assertCanSignIn(user, device, client, 'passkey');
      return completion.complete(user, device, client, 'passkey');
    },
  };
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;
