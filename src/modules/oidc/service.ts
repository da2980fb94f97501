import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { AuthenticatedPrincipal } from '../../core/account.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import type { Database } from '../../db/database.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { LoginHistoryRepository } from '../login-history/repository.js';
import type { SessionService } from '../sessions/service.js';
import { createOidcKeys } from './keys.js';
import { buildProvider, idTokenTtlSeconds, type ProviderDeps, type ProviderViews } from './provider.js';

interface Deps extends Omit<ProviderDeps, 'sessionIsLive'> {
  db: Database;
  sessions: SessionService;
  loginHistory: LoginHistoryRepository;
  audit: AuditRecorder;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

// How often an instance looks for a key rotation made elsewhere (the CLI, another instance).
const keyCheckIntervalMs = 60_000;
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Gatehouse as an OpenID provider: the protocol is panva's oidc-provider
 * (provider.ts); this is where it meets our sessions. A sign-in at an app is
 * the browser's Gatehouse session, recorded in login history and the audit
 * trail; the provider's session is linked to it (see the adapter), and
 * signing out at an app (RP-initiated logout) ends it.
 */
export function createOpenIdService(deps: Deps) {
  const { oidc, sessions, loginHistory, audit, clock } = deps;
  const keys = createOidcKeys(deps);
  const providerDeps: ProviderDeps = {
    ...deps,
    sessionIsLive: (sessionId, accountId) => sessions.isLive(sessionId, Number(accountId)),
  };
  let views: ProviderViews | undefined;
  let provider: Provider | undefined;
  let signingKids = '';
  let lastKeyCheck = 0;
  // When a retired key stops being published (its tokens have expired): the provider is rebuilt without it.
  let unpublishAt: number | null = null;

  async function build(): Promise<Provider> {
    if (!views) throw new Error('the OpenID provider is not started');
    const published = await keys.load(idTokenTtlSeconds);
    signingKids = await keys.currentKids();
    unpublishAt = published.unpublishAt;
    lastKeyCheck = clock.now().getTime();
    const built = buildProvider(providerDeps, published.keys, views);
    built.use(async (ctx, next) => {
      await next();
      await afterProviderRoute(ctx);
    });
    provider = built;
    return built;
  }

  /** What happens on our side once the provider has answered: link a new session, end one signed out of. */
  async function afterProviderRoute(ctx: Parameters<Parameters<Provider['use']>[0]>[0]): Promise<void> {
    const route = ctx.oidc?.route;
    const session = ctx.oidc?.entities.Session;
    if (!session?.uid || !session.accountId) return;
    if (route === 'resume') {
      const sessionId = (ctx.oidc.result as { gatehouseSessionId?: string } | undefined)?.gatehouseSessionId;
      if (sessionId) await oidc.linkSession(session.uid, sessionId, clock.now());
      return;
    }
    if (route === 'end_session_confirm' && (session as { destroyed?: boolean }).destroyed) {
      const sessionId = await oidc.findLinkedSession(session.uid);
      const userId = Number(session.accountId);
      if (!sessionId) return;
      await sessions.endSession({ userId, sessionId }, 'logout');
      await audit.record('oidc.signed_out', {
        actorUserId: userId,
        targetUserId: userId,
        details: { sessionId, clientId: ctx.oidc.client?.clientId ?? null },
      });
    }
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

    /** The authorization request behind an interaction page (its cookie names it); throws when it has expired. */
    async interaction(req: IncomingMessage, res: ServerResponse): Promise<Interaction> {
      return (await current()).interactionDetails(req, res);
    },

    async clientName(clientId: string): Promise<{ name: string; firstParty: boolean } | null> {
      const client = await oidc.findClient(clientId);
      return client ? { name: client.name, firstParty: client.firstParty } : null;
    },

    /**
     * The browser's Gatehouse session signs the person in at the app: written
     * to login history and the audit trail, and handed to the provider with
     * the time of the sign-in (auth_time, so max_age is judged on it).
     * Returns where the browser goes next.
     */
    async completeSignIn(
      req: IncomingMessage,
      res: ServerResponse,
      principal: AuthenticatedPrincipal,
      device: DeviceInfo,
      client: ClientContext,
    ): Promise<string> {
      const live = await current();
      const interaction = await live.interactionDetails(req, res);
      const clientId = String(interaction.params.client_id);
      await loginHistory.insertLoginEvent({
        userId: principal.userId,
        method: `oidc:${clientId}`,
        success: true,
        ipAddress: client.ipAddress,
        userAgent: device.userAgent ?? client.userAgent,
        deviceId: device.deviceId ?? null,
        deviceName: device.deviceName ?? null,
        platform: device.platform ?? null,
        sessionId: principal.sessionId,
        createdAt: clock.now(),
      });
      await audit.record('oidc.signed_in', {
        actorUserId: principal.userId,
        targetUserId: principal.userId,
        details: {
          clientId,
          clientName: (await oidc.findClient(clientId))?.name ?? null,
          sessionId: principal.sessionId,
        },
      });
      return live.interactionResult(
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
