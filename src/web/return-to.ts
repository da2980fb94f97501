/** Spaces, control characters (browsers drop tabs and newlines) and backslashes (read as "/"). */
function hasBrowserIgnoredCharacters(address: string): boolean {
  for (const character of address) {
    const code = character.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f || character === '\\') return true;
  }
  return false;
}

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
      // Browsers drop tabs and newlines from addresses ("/\t/evil" becomes "//evil"), and read "\" as "/":
      // such an address is refused whole rather than cleaned.
      if (typeof returnTo !== 'string' || returnTo.length > 2048 || hasBrowserIgnoredCharacters(returnTo)) {
        return 'refused';
      }
      let url: URL;
      try {
        // Resolved the way a browser would resolve it on our pages.
        url = new URL(returnTo, ownOrigin);
      } catch {
        return 'refused';
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'refused';
      // A path of ours stays relative; an allowed origin keeps its full address.
      if (url.origin === ownOrigin && returnTo.startsWith('/')) return `${url.pathname}${url.search}${url.hash}`;
      return allowed.has(url.origin) && !returnTo.startsWith('/') ? url.href : 'refused';
    },
  };
}

export type ReturnTo = ReturnType<typeof createReturnTo>;
