import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientContext } from './client.js';

/**
 * What every service may want to know about the request it serves without
 * having it passed down each signature: who calls (for the audit trail) and
 * from where. Absent outside a request (CLI, start-up, the outbox worker).
 */
export interface RequestContext {
  readonly client: ClientContext;
  /** The signed-in caller, when the route authenticated one. */
  readonly actorUserId: number | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` (and everything it awaits) inside `context`. */
export function runInRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
