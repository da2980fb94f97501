import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import type { Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { SessionService } from '../sessions/service.js';
import { normalizeEmail } from '../users/email.js';
import type { UserRepository, UserRow } from '../users/repository.js';
import type { Provider } from './providers.js';
import type { FederationRepository } from './repository.js';
import type { Assertion } from './upstream.js';

interface Deps {
  federation: FederationRepository;
  users: UserRepository;
  sessions: SessionService;
  outbox: Outbox;
  emails: Emails;
  audit: AuditRecorder;
  clock: Clock;
}

/**
 * Which account an identity belongs to. The provider's subject identifies an
 * identity; an email links it to an existing account only when the provider
 * says it verified that address.
 */
export function createIdentityLinking(deps: Deps) {
  const { federation, users, sessions, outbox, emails, audit, clock } = deps;

  async function linkIdentity(user: UserRow, provider: Provider, assertion: Assertion): Promise<void> {
    const now = clock.now();
    const linked = await federation.insertIdentity({
      id: randomUUID(),
      userId: user.id,
      provider: provider.id,
      subject: assertion.subject,
      email: assertion.email,
      createdAt: now,
      lastUsedAt: now,
    });
    if (!linked) {
      // Linked meanwhile by a concurrent callback: fine if to the same account.
      const winner = await federation.findIdentity(provider.id, assertion.subject);
      if (winner?.userId === user.id) return;
      throw new AppError('IDENTITY_TAKEN');
    }
    await outbox.enqueue(emails.identityLinked(user.email, provider.name, now));
    await audit.record('identity.linked', {
      actorUserId: user.id,
      targetUserId: user.id,
      details: { provider: provider.id, identityId: linked.id },
    });
  }

  /**
   * The account an identity signs in to. Known identity: its account. Else
   * only a verified address: the account that has it (linked, its owner
   * emailed), or a new one. An unverified account with that address is
   * someone's unproven claim on it; the provider's proof wins, and a
   * password set by whoever made it is dropped (pre-hijacking).
   */
  async function resolveAccount(
    provider: Provider,
    assertion: Assertion,
  ): Promise<{ user: UserRow; linkedBefore: boolean }> {
    const now = clock.now();
    const identity = await federation.findIdentity(provider.id, assertion.subject);
    if (identity) {
      await federation.recordIdentityUse(identity.id, assertion.email, now);
      const owner = await users.findUserById(identity.userId);
      if (owner) return { user: owner, linkedBefore: true };
    }
    // Lower-casing maps some non-ASCII letters onto ASCII ones (the Kelvin sign onto "k"): such an
    // address could land on someone else's account, so it never links or creates one.
    const ascii = assertion.email !== null && /^[\x21-\x7e]+$/.test(assertion.email);
    if (!assertion.email || !assertion.emailVerified || !ascii) throw new AppError('FEDERATED_EMAIL_UNVERIFIED');
    const email = normalizeEmail(assertion.email);
    const existing = await users.findUserByEmail(email);
    if (existing) {
      if (!existing.emailVerifiedAt && (await federation.claimUnverifiedAccount(existing.id, now))) {
        await sessions.endAllSessions(existing.id, { actorUserId: existing.id, reason: 'account_claimed' });
        await audit.record('email.verified', {
          actorUserId: existing.id,
          targetUserId: existing.id,
          details: { provider: provider.id, passwordRemoved: true },
        });
      }
      await linkIdentity(existing, provider, assertion);
      return { user: (await users.findUserById(existing.id)) ?? existing, linkedBefore: false };
    }
    const created = await users.insertUserIfEmailFree(
      {
        email,
        passwordHash: null,
        firstName: assertion.givenName,
        lastName: assertion.familyName,
        accountType: 'INDIVIDUAL',
        emailVerifiedAt: now,
        createdAt: now,
      },
      ['USER'],
    );
    // Taken meanwhile by a concurrent sign-up: the address now has an account, which the rules above handle.
    if (!created) return resolveAccount(provider, assertion);
    await audit.record('user.registered', {
      actorUserId: created.id,
      targetUserId: created.id,
      details: { provider: provider.id },
    });
    await linkIdentity(created, provider, assertion);
    return { user: created, linkedBefore: false };
  }

  return { linkIdentity, resolveAccount };
}
