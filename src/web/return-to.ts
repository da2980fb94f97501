/**
 * Where a page may send the browser after it is done: a path on Gatehouse
 * itself, or an address on one of the allowed origins (ALLOWED_RETURN_ORIGINS,
 * later also OpenID clients' redirect URIs). Anything else is refused, so
 * `return_to` can never be an open redirect.
 */
export function createReturnTo({
  publicUrl,
  allowedOrigins,
}: {
  publicUrl: string;
  allowedOrigins: readonly string[];
}) {
  const ownOrigin = new URL(publicUrl).origin;
  const allowed = new Set([ownOrigin, ...allowedOrigins]);

  return {
    allowedOrigins: [...allowed],

    /** The address to go to, null when there is none, or 'refused' when it leads somewhere not allowed. */
    check(returnTo: unknown): string | null | 'refused' {
      if (returnTo === undefined || returnTo === '') return null;
      if (typeof returnTo !== 'string' || returnTo.length > 2048) return 'refused';
      // A path of ours; "//host" and "/\host" are other hosts to a browser.
      if (/^\/(?![/\\])/.test(returnTo)) return returnTo;
      try {
        const url = new URL(returnTo);
        return allowed.has(url.origin) && (url.protocol === 'https:' || url.protocol === 'http:')
          ? url.href
          : 'refused';
      } catch {
        return 'refused';
      }
    },
  };
}

export type ReturnTo = ReturnType<typeof createReturnTo>;
