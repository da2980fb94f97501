import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Config } from '../../config.js';
import type { AuthenticatedPrincipal } from '../../core/account.js';
import type { Database } from '../../db/database.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { LoginHistoryRepository } from '../login-history/repository.js';
import type { SessionService } from '../sessions/service.js';
import { createOidcKeys } from './keys.js';
import { buildProvider, idTokenTtlSeconds, type ProviderDeps, type ProviderViews } from './provider.js';
import { type BrowserFacts, createSessionBridge } from './session-bridge.js';

export type { BrowserFacts };

interface Deps extends Omit<ProviderDeps, 'sessionIsLive' | 'config'> {
  config: ProviderDeps['config'] & Pick<Config, 'refreshReuseGraceSeconds'>;
  db: Database;
  sessions: SessionService;
  loginHistory: LoginHistoryRepository;
  audit: AuditRecorder;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

// How often an instance looks for a key rotation made elsewhere (the CLI, another instance).
const keyCheckIntervalMs = 60_000;
// Retired keys stay published while ID tokens they signed live, plus the time another instance may take
// to notice the rotation (and go on signing with them meanwhile).
const keyRetentionSeconds = idTokenTtlSeconds + (2 * keyCheckIntervalMs) / 1000;
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Gatehouse as an OpenID provider: the protocol is panva's oidc-provider
 * (provider.ts), its sessions are Gatehouse's (session-bridge.ts); here it is
 * built, rebuilt when the keys change, and driven by the interaction pages.
 */
export function createOpenIdService(deps: Deps) {
  const { oidc, audit, clock } = deps;
  const keys = createOidcKeys(deps);
  const bridge = createSessionBridge(deps);
  const providerDeps: ProviderDeps = { ...deps, sessionIsLive: bridge.sessionIsLive };
  let views: ProviderViews | undefined;
  let provider: Provider | undefined;
  let signingKids = '';
  let lastKeyCheck = 0;
  // When a retired key stops being published (its tokens have expired): the provider is rebuilt without it.
  let unpublishAt: number | null = null;

  async function build(): Promise<Provider> {
    if (!views) throw new Error('the OpenID provider is not started');
    const published = await keys.load(keyRetentionSeconds);
    signingKids = published.signingKids;
    unpublishAt = published.unpublishAt;
    lastKeyCheck = clock.now().getTime();
    const built = buildProvider(providerDeps, published.keys, views);
    built.use(async (ctx, next) => {
      await next();
      await bridge.afterProviderRoute(ctx);
    });
    provider = built;
    return built;
  }

  async function current(): Promise<Provider> {
    if (!provider) return build();
    const now = clock.now().getTime();
    if (unpublishAt !== null && now >= unpublishAt) return build();
    if (now - lastKeyCheck > keyCheckIntervalMs) {
      lastKeyCheck = now;
      if ((await keys.currentKids()) !== signingKids) return build();
    }
    return provider;
  }

  return {
    /** Builds the provider (making its first keys if there are none) with the pages it draws. */
    async start(providerViews: ProviderViews): Promise<void> {
      views = providerViews;
      await build();
    },

    /** The provider; rebuilt with the new keys once a rotation is noticed. */
    current,

    rotateKeys: () => keys.rotate(),

    /** What the mount learnt of a request (client address, the browser's session) before handing it over. */
    remember: bridge.remember,

    /** The authorization request behind an interaction page (its cookie names it); throws when it has expired. */
    async interaction(
      req: IncomingMessage,
      res: ServerResponse,
      principal: AuthenticatedPrincipal | null,
    ): Promise<Interaction> {
      const live = await current();
      // The person signed in again in this browser while the app waited (prompt=login, max_age): their
      // previous Gatehouse session was replaced, and the provider session it carried would be gone with
      // it, taking the pending request along. The provider session follows the new sign-in of the same
      // account (never another's).
      if (principal) {
        const id = live.createContext(req, res).cookies.get(live.cookieName('interaction'), { signed: true });
        const pending = id ? await live.Interaction.find(id) : undefined;
        const uid = pending?.session?.uid;
        if (uid && pending.session?.accountId === String(principal.userId)) {
          await oidc.linkSession(uid, principal.sessionId, clock.now());
        }
      }
      return live.interactionDetails(req, res);
    },

    async clientName(clientId: string): Promise<{ name: string; firstParty: boolean } | null> {
      const client = await oidc.findClient(clientId);
      return client ? { name: client.name, firstParty: client.firstParty } : null;
    },

    /**
     * The browser's Gatehouse session signs the person in at the app, handed
     * to the provider with the time of the sign-in (auth_time, so max_age is
     * judged on it) and the session (linked on resumption: session-bridge.ts).
     * Returns where the browser goes next.
     */
    async completeSignIn(
      req: IncomingMessage,
      res: ServerResponse,
      principal: AuthenticatedPrincipal,
    ): Promise<string> {
      return (await current()).interactionResult(
        req,
        res,
        {
          login: { accountId: String(principal.userId), ts: epochSeconds(principal.signedInAt) },
          gatehouseSessionId: principal.sessionId,
        },
        { mergeWithLastSubmission: false },
      );
    },

    /** Notes on the interaction when a new sign-in was asked for (prompt=login, max_age): only a later one counts. */
    async askForNewSignIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
      await (await current()).interactionResult(req, res, { signInAskedAt: clock.now().getTime() });
    },

    /** Grants what the app asked for (the consent page's "Allow", or a first-party app). */
    async grantConsent(req: IncomingMessage, res: ServerResponse, userId: number): Promise<string> {
      const live = await current();
      const interaction = await live.interactionDetails(req, res);
      const clientId = String(interaction.params.client_id);
      const accountId = String(userId);
      if (interaction.session?.accountId !== accountId) throw new Error('consent for another account');
      const existing = interaction.grantId ? await live.Grant.find(interaction.grantId) : undefined;
      const grant = existing ?? new live.Grant({ accountId, clientId });
      const details = interaction.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      await audit.record('oidc.consent_given', {
        actorUserId: userId,
        targetUserId: userId,
        details: { clientId, scopes: details.missingOIDCScope ?? [] },
      });
      return live.interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    },

    /** The person said no, or cannot go on: the app receives the OAuth error on its redirect URI. */
    async refuse(req: IncomingMessage, res: ServerResponse, error: string, description: string): Promise<string> {
      return (await current()).interactionResult(
        req,
        res,
        { error, error_description: description },
        { mergeWithLastSubmission: false },
      );
    },
  };
}

export type OpenIdService = ReturnType<typeof createOpenIdService>;
