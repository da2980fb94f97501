import { html, type Renderable, type SafeHtml } from '../core/html.js';

export interface Brand {
  readonly name: string;
  readonly logoUrl: string | undefined;
  readonly color: string;
}

export interface LayoutProps {
  title: string;
  brand: Brand;
  body: Renderable;
  /** Shown in the header with a sign-out button, when someone is signed in. */
  signedInAs?: { email: string; csrf: string } | undefined;
  /** Wider main column, for tables (sessions, history). */
  wide?: boolean;
}

/**
 * The document around every page: one stylesheet and one script, both from
 * our origin (the CSP allows nothing else), the brand's color as a custom
 * property, and a skip link for keyboard users.
 */
export function layout({ title, brand, body, signedInAs, wide }: LayoutProps): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${brand.name}</title>
<link rel="stylesheet" href="/assets/style.css">
<meta name="theme-color" content="${brand.color}">
<script src="/assets/pages.js" defer></script>
<script src="/assets/vendor/webauthn.js" defer></script>
<script src="/assets/passkeys.js" defer></script>
</head>
<body data-brand-color="${brand.color}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${signedInAs ? '/account' : '/login'}">
    ${brand.logoUrl ? html`<img src="${brand.logoUrl}" alt="" height="32">` : null}
    <span>${brand.name}</span>
  </a>
  ${
    signedInAs
      ? html`<form method="post" action="/logout" class="signout">
      <input type="hidden" name="_csrf" value="${signedInAs.csrf}">
      <span class="who">${signedInAs.email}</span>
      <button type="submit" class="link">Sign out</button>
    </form>`
      : null
  }
</header>
<main id="main" class="${wide ? 'wide' : 'narrow'}">
${body}
</main>
</body>
</html>`;
}
