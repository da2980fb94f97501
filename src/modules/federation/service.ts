import { createHash } from 'node:crypto';
import * as openid from 'openid-client';
import type { Config } from '../../config.js';
import type { Principal } from '../../core/account.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import type { Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import { constantTimeEqual, randomToken, sha256Hex } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { DeviceService } from '../devices/service.js';
import type { LoginMethod } from '../login-history/repository.js';
import type { ConfirmOwner } from '../sessions/confirm-owner.js';
import type { SessionService } from '../sessions/service.js';
import type { SignInCompletion } from '../sign-in-completion/service.js';
import type { TwoFactorService } from '../two-factor/service.js';
import type { UserRepository, UserRow } from '../users/repository.js';
import { createLinkedIdentities } from './identities.js';
import { createIdentityLinking } from './linking.js';
import type { Provider, ProviderRegistry } from './providers.js';
import type { FederationRepository } from './repository.js';
import type { Assertion, Upstream } from './upstream.js';

interface Deps {
  confirmOwner: ConfirmOwner;
  federation: FederationRepository;
  users: UserRepository;
  transaction: Transaction<{ federation: FederationRepository; users: UserRepository }>;
  providers: ProviderRegistry;
  upstream: Upstream;
  sessions: SessionService;
  devices: DeviceService;
  twoFactor: TwoFactorService;
  completion: SignInCompletion;
  outbox: Outbox;
  emails: Emails;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'publicUrl'>;
}

// A person may take a while at the provider (a new account there, a second factor).
const flowTtlMs = 10 * 60_000;
// The browser carries a finished sign-in to an app right away; a second step on our page may come between.
const handoffTtlMs = 10 * 60_000;
// The app trades its code at once, from the redirect it just received.
const exchangeTtlMs = 60_000;

const methodOf = (provider: Provider): LoginMethod => `oauth:${provider.id}`;

/** Where a redirect to a provider started: the sign-in page (with where to go after), or an owner linking. */
export type FlowStart = {
  returnTo: string | null;
  deviceId?: string | undefined;
  linkUserId?: number | undefined;
  /** An app's PKCE challenge (S256, base64url): its code then needs the verifier. */
  appCodeChallenge?: string | undefined;
};

/** How a callback ended: a sign-in (maybe with a second step pending), or an identity linked to the signed-in owner. */
export type CallbackResult =
  | {
      kind: 'signed-in';
      outcome: Awaited<ReturnType<SignInCompletion['complete']>> | SecondStep;
      user: UserRow;
      provider: Provider;
      returnTo: string | null;
      appCodeChallenge: string | null;
    }
  | { kind: 'linked'; provider: Provider; returnTo: string | null };

type SecondStep = NonNullable<Awaited<ReturnType<TwoFactorService['challengeIfRequired']>>>;

/**
 * Federated sign-in: the redirect flow, the native (ID token) flow, the
 * hand-off to apps and the linked identities; which account an identity
 * belongs to is decided in linking.ts.
 */
export function createFederationService(deps: Deps) {
  const { federation, users, providers, upstream, devices, twoFactor } = deps;
  const { completion, confirmOwner, clock } = deps;

  const { linkIdentity, resolveAccount } = createIdentityLinking(deps);
  const linkedIdentities = createLinkedIdentities(deps);

  /**
   * The provider's word that it checked a second factor (`amr: mfa`) stands in for ours only for
   * an identity linked before this sign-in: a link made just now through an email is not yet
   * proof enough to skip the account's own second step.
   */
  const providerMfa = (assertion: Assertion, linkedBefore: boolean) => assertion.mfa && linkedBefore;

  /** What a password sign-in checks, then the second factor unless the provider vouches for one. */
  async function admit(
    user: UserRow,
    provider: Provider,
    providerMfa: boolean,
    device: DeviceInfo,
    client: ClientContext,
    { secondStep }: { secondStep: boolean },
  ) {
    const method = methodOf(provider);
    await completion.assertCanSignIn(user, device, client, method);
    const pending =
      secondStep && !providerMfa ? await twoFactor.challengeIfRequired(user, device, client, method) : null;
    return pending ?? completion.complete(user, device, client, method);
  }

  /** A refusal from the provider or of its answer, in login history too; then passed on. */
  async function recorded<T>(provider: Provider, device: DeviceInfo, client: ClientContext, work: () => Promise<T>) {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError && error.code !== 'ACCOUNT_LOCKED' && error.code !== 'EMAIL_NOT_VERIFIED') {
        await completion.recordFailure(null, device, client, methodOf(provider), error.code);
      }
      throw error;
    }
  }

  async function issueCode(
    purpose: 'handoff' | 'exchange',
    grant: { userId: number; provider: string; returnTo: string | null; appCodeChallenge: string | null },
  ) {
    const code = randomToken();
    const now = clock.now();
    await federation.insertCode({
      codeHash: sha256Hex(code),
      purpose,
      ...grant,
      createdAt: now,
      expiresAt: new Date(now.getTime() + (purpose === 'handoff' ? handoffTtlMs : exchangeTtlMs)),
    });
    return code;
  }

  return {
    providers,

    /** Discovers every environment provider; answers which could not be reached, and why. */
    async warmUp(): Promise<Array<{ provider: string; message: string }>> {
      const outcomes = await Promise.allSettled(providers.environment.map((provider) => upstream.connect(provider)));
      return outcomes.flatMap((outcome, index) =>
        outcome.status === 'rejected'
          ? [{ provider: providers.environment[index]?.id ?? '', message: (outcome.reason as Error).message }]
          : [],
      );
    },

    /** What the sign-in page and apps show: a button per provider. */
    async listProviders() {
      return (await providers.list()).map(({ id, name, type }) => ({ id, name, type }));
    },

    /** Starts a redirect: the provider's authorization URL, and the `state` the browser keeps in a cookie. */
    async begin(providerId: string, start: FlowStart): Promise<{ url: string; state: string }> {
      const provider = await providers.find(providerId);
      const secrets = {
        state: openid.randomState(),
        nonce: openid.randomNonce(),
        codeVerifier: openid.randomPKCECodeVerifier(),
      };
      const url = await upstream.authorizationUrl(provider, secrets);
      const now = clock.now();
      await federation.deleteExpired(now);
      await federation.insertFlow({
        stateHash: sha256Hex(secrets.state),
        provider: provider.id,
        codeVerifier: secrets.codeVerifier,
        nonce: secrets.nonce,
        returnTo: start.returnTo,
        appCodeChallenge: start.appCodeChallenge ?? null,
        deviceId: start.deviceId ?? null,
        linkUserId: start.linkUserId ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + flowTtlMs),
      });
      return { url, state: secrets.state };
    },

    /**
     * The provider's answer. The `state` must be the one this browser's cookie
     * holds (a login CSRF cannot plant someone else's sign-in) and a flow we
     * started and did not finish yet; openid-client then checks the code,
     * PKCE, the ID token and its nonce.
     */
    async callback(
      providerId: string,
      parameters: URLSearchParams,
      browserState: string | undefined,
      browser: DeviceInfo,
      client: ClientContext,
    ): Promise<CallbackResult> {
      const provider = await providers.find(providerId);
      return recorded(provider, browser, client, async () => {
        const state = parameters.get('state');
        if (!state || !browserState || !constantTimeEqual(state, browserState))
          throw new AppError('OAUTH_STATE_INVALID');
        const flow = await federation.takeFlow(sha256Hex(state), clock.now());
        if (!flow || flow.provider !== provider.id) throw new AppError('OAUTH_STATE_INVALID');
        const device = flow.deviceId ? { ...browser, deviceId: flow.deviceId } : browser;
        const assertion = await upstream.finish(provider, parameters, {
          state,
          nonce: flow.nonce,
          codeVerifier: flow.codeVerifier,
        });
        if (flow.linkUserId !== null) {
          const owner = await users.findUserById(flow.linkUserId);
          if (!owner) throw new AppError('UNAUTHORIZED');
          const existing = await federation.findIdentity(provider.id, assertion.subject);
          if (existing && existing.userId !== owner.id) throw new AppError('IDENTITY_TAKEN');
          if (!existing) await linkIdentity(owner, provider, assertion);
          return { kind: 'linked', provider, returnTo: flow.returnTo };
        }
        await devices.assertAllowed(device.deviceId);
        const { user, linkedBefore } = await resolveAccount(provider, assertion);
        const outcome = await admit(user, provider, providerMfa(assertion, linkedBefore), device, client, {
          secondStep: true,
        });
        return {
          kind: 'signed-in',
          outcome,
          user,
          provider,
          returnTo: flow.returnTo,
          appCodeChallenge: flow.appCodeChallenge,
        };
      });
    },

    /** Native apps: the provider's ID token (from its SDK) for our sign-in answer; the same rules as the redirect. */
    async signInWithIdToken(
      providerId: string,
      input: { idToken: string; nonce?: string | undefined; deviceInfo?: DeviceInfo | undefined },
      client: ClientContext,
    ) {
      const provider = await providers.find(providerId);
      const device = input.deviceInfo ?? {};
      return recorded(provider, device, client, async () => {
        await devices.assertAllowed(device.deviceId);
        const assertion = await upstream.verifyIdToken(provider, input.idToken, input.nonce);
        const { user, linkedBefore } = await resolveAccount(provider, assertion);
        // An ID token works once: a leaked one cannot be replayed while it is still valid.
        const firstUse = await federation.recordIdTokenUse({
          tokenHash: sha256Hex(input.idToken),
          userId: user.id,
          provider: provider.id,
          expiresAt: assertion.expiresAt,
          now: clock.now(),
        });
        if (!firstUse) {
          throw new AppError('ID_TOKEN_INVALID', { message: 'This ID token was already used' });
        }
        return admit(user, provider, providerMfa(assertion, linkedBefore), device, client, { secondStep: true });
      });
    },

    /**
     * Links another identity to the signed-in owner: a new way into the
     * account, so it needs the password or a sign-in of the last 5 minutes.
     */
    async beginLink(principal: Principal, providerId: string, password: string | undefined, deviceId: string) {
      await confirmOwner(principal, password);
      return this.begin(providerId, { returnTo: null, deviceId, linkUserId: principal.userId });
    },

    /** A browser finished a sign-in meant for an app: a single-use ticket it carries to the hand-off, bound to this user. */
    issueHandoff: (userId: number, provider: string, returnTo: string, appCodeChallenge: string | null) =>
      issueCode('handoff', { userId, provider, returnTo, appCodeChallenge }),

    /**
     * The hand-off: the signed-in browser (second step done) trades its
     * ticket for the app's one-time code, and learns where to take it.
     */
    async redeemHandoff(ticket: string, userId: number): Promise<{ code: string; returnTo: string }> {
      const row = await federation.consumeCode(sha256Hex(ticket), 'handoff', clock.now());
      if (!row || row.userId !== userId || !row.returnTo) throw new AppError('OAUTH_CODE_INVALID');
      const code = await issueCode('exchange', {
        userId,
        provider: row.provider,
        returnTo: null,
        appCodeChallenge: row.appCodeChallenge,
      });
      return { code, returnTo: row.returnTo };
    },

    /**
     * The app's code for the seed's sign-in answer, once, within 60 seconds; the browser already
     * passed any second step. An app that started with a `code_challenge` must prove it is the one
     * that did (`codeVerifier`): a code someone else's browser produced is then of no use to it.
     */
    async exchange(
      input: { code: string; codeVerifier?: string | undefined; deviceInfo?: DeviceInfo | undefined },
      client: ClientContext,
    ) {
      const device = input.deviceInfo ?? {};
      await devices.assertAllowed(device.deviceId);
      const row = await federation.consumeCode(sha256Hex(input.code), 'exchange', clock.now());
      const user = row ? await users.findUserById(row.userId) : null;
      if (!row || !user) throw new AppError('OAUTH_CODE_INVALID');
      if (row.appCodeChallenge !== null) {
        const proof = input.codeVerifier ? createHash('sha256').update(input.codeVerifier).digest('base64url') : '';
        if (!constantTimeEqual(proof, row.appCodeChallenge)) throw new AppError('OAUTH_CODE_INVALID');
      }
      const provider = await providers.find(row.provider).catch(() => null);
      if (!provider) throw new AppError('OAUTH_CODE_INVALID');
      return admit(user, provider, false, device, client, { secondStep: false });
    },

    ...linkedIdentities,
  };
}

export type FederationService = ReturnType<typeof createFederationService>;
