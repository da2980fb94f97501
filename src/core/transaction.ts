/**
 * Runs `work` in one database transaction with repositories bound to it. A
 * service declares the repositories it needs inside (`Transaction<{ sessions:
 * SessionRepository }>`); the composition root's transaction hands out all of them.
 */
export type Transaction<Repositories> = <T>(work: (repositories: Repositories) => Promise<T>) => Promise<T>;
