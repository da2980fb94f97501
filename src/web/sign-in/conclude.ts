import type { FastifyReply } from 'fastify';
import type { PageKit } from '../kit.js';

/** What a sign-in service answers: a pending second step, or a new session. */
export type SignInOutcome = { mfaRequired: true; mfaToken: string } | { sessionId: string };

export function createSignInConclusion({ services, cookies }: Pick<PageKit, 'services' | 'cookies'>) {
  /**
   * The last step of every way in on the pages: a pending second step, or a
   * browser session. Sets the cookies and returns where the browser goes next.
   */
  return async function concludeSignIn(
    reply: FastifyReply,
    outcome: SignInOutcome,
    next: string | null,
  ): Promise<string> {
    if ('mfaRequired' in outcome) {
      cookies.setPendingChallenge(reply, outcome.mfaToken);
      return `/login/2fa${next ? `?return_to=${encodeURIComponent(next)}` : ''}`;
    }
    cookies.setSession(reply, await services.sessions.openBrowserSession(outcome.sessionId));
    cookies.clearPendingChallenge(reply);
    return next ?? '/account';
  };
}
