import type { IncomingMessage } from 'node:http';
import Provider from 'oidc-provider';
import type { Config } from '../../config.js';
import type { DeviceInfo } from '../../core/client.js';
import type { Clock } from '../../platform/clock.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { LoginHistoryRepository } from '../login-history/repository.js';
import type { SessionService } from '../sessions/service.js';
import { attemptOrigin } from '../sign-in-completion/service.js';
import type { OidcRepository } from './repository.js';

/** What the mount knows of a request before the provider sees it (routes.ts). */
export interface BrowserFacts {
  ipAddress: string;
  /**
   * On the routes a person's browser is on: its live Gatehouse session (null without one) and device.
   * Absent on back-channel calls (token, userinfo, introspection), which no browser makes.
   */
  sessionId?: string | null;
  device?: DeviceInfo;
}

type ProviderContext = Parameters<Parameters<Provider['use']>[0]>[0];

/**
 * Where the provider's end-user sessions meet Gatehouse's browser sessions:
 * - a provider session is linked, when a sign-in at an app completes, to the
 *   Gatehouse session it rode on, and is good only while that one lives and,
 *   where a browser is present, is that browser's current session (another
 *   person signing in on the same browser does not inherit the first one's
 *   single sign-on);
 * - every code issued to an app is a sign-in, written to the history and the
 *   audit trail with the app named;
 * - RP-initiated logout ends the Gatehouse session too;
 * - a spent refresh token presented again after REFRESH_REUSE_GRACE ends the
 *   session it was issued through, as the API's own refresh tokens do (the
 *   provider itself revokes the app's grant).
 */
export function createSessionBridge(deps: {
  config: Pick<Config, 'refreshReuseGraceSeconds'>;
  oidc: OidcRepository;
  sessions: SessionService;
  loginHistory: LoginHistoryRepository;
  audit: AuditRecorder;
  clock: Clock;
}) {
  const { config, oidc, sessions, loginHistory, audit, clock } = deps;
  const facts = new WeakMap<IncomingMessage, BrowserFacts>();
  // The request the provider is answering now (its AsyncLocalStorage), for the adapter's session check.
  const currentFacts = () => {
    const request = Provider.ctx?.req;
    return request ? facts.get(request) : undefined;
  };

  async function recordSignIn(ctx: ProviderContext, userId: number, known: BrowserFacts): Promise<void> {
    const clientId = ctx.oidc.client?.clientId ?? '';
    const sessionId = known.sessionId ?? null;
    await loginHistory.insertLoginEvent({
      userId,
      method: `oidc:${clientId}`,
      success: true,
      ...attemptOrigin(known.device ?? {}, { ipAddress: known.ipAddress, userAgent: null }),
      sessionId,
      createdAt: clock.now(),
    });
    await audit.record('oidc.signed_in', {
      actorUserId: userId,
      targetUserId: userId,
      details: { clientId, clientName: ctx.oidc.client?.clientName ?? null, sessionId },
    });
  }

  /** Reuse of a spent refresh token: within the grace window a client's retry, beyond it a stolen chain. */
  async function judgeReuse(ctx: ProviderContext): Promise<void> {
    const token = ctx.oidc.entities.RefreshToken as
      | { consumed?: number; sessionUid?: string; accountId?: string }
      | undefined;
    if (!token?.consumed || !token.sessionUid || !token.accountId) return;
    if (clock.now().getTime() - token.consumed * 1000 <= config.refreshReuseGraceSeconds * 1000) return;
    const sessionId = await oidc.findLinkedSession(token.sessionUid);
    if (!sessionId) return;
    const userId = Number(token.accountId);
    const ended = await sessions.endSession({ userId, sessionId }, 'refresh_token_reuse');
    await audit.record('refresh_token.reused', {
      actorUserId: null,
      targetUserId: userId,
      details: { sessionId, sessionRevoked: ended, clientId: ctx.oidc.client?.clientId ?? null },
    });
  }

  return {
    remember(request: IncomingMessage, known: BrowserFacts): void {
      facts.set(request, known);
    },

    /** The adapter's question about a stored provider session (see adapter.ts). */
    async sessionIsLive(sessionId: string, accountId: string): Promise<boolean> {
      const browser = currentFacts()?.sessionId;
      if (browser !== undefined && browser !== sessionId) return false;
      return sessions.isLive(sessionId, Number(accountId));
    },

    /** Once the provider has answered: link a new session, record a sign-in at an app, end a session signed out of. */
    async afterProviderRoute(ctx: ProviderContext): Promise<void> {
      const route = ctx.oidc?.route;
      if (route === 'token' && ctx.status === 400) return judgeReuse(ctx);
      const session = ctx.oidc?.entities.Session;
      if (!session?.uid || !session.accountId) return;
      const userId = Number(session.accountId);
      if (route === 'resume') {
        const sessionId = (ctx.oidc.result as { gatehouseSessionId?: string } | undefined)?.gatehouseSessionId;
        if (sessionId) await oidc.linkSession(session.uid, sessionId, clock.now());
      }
      if ((route === 'resume' || route === 'authorization') && ctx.oidc.entities.AuthorizationCode) {
        // Every request to the provider is remembered by the mount (routes.ts) before it is handed over. These
        // are browser routes: the provider session counted only because it is linked to the browser's own
        // Gatehouse session (sessionIsLive), so that is the session the code was issued through.
        await recordSignIn(ctx, userId, facts.get(ctx.req) ?? { ipAddress: '' });
        return;
      }
      if (route === 'end_session_confirm' && (session as { destroyed?: boolean }).destroyed) {
        const sessionId = await oidc.findLinkedSession(session.uid);
        if (!sessionId) return;
        await sessions.endSession({ userId, sessionId }, 'logout');
        await audit.record('oidc.signed_out', {
          actorUserId: userId,
          targetUserId: userId,
          details: { sessionId, clientId: ctx.oidc.client?.clientId ?? null },
        });
      }
    },
  };
}
