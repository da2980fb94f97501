import { html, type SafeHtml } from '../core/html.js';

export interface Brand {
  readonly name: string;
  readonly logoUrl: string | undefined;
  readonly color: string;
}

export interface EmailAction {
  label: string;
  url: string;
}

/**
 * The HTML part of every email: the brand above, the paragraphs, one button
 * to the page that acts on the message, and its address written out for
 * clients that show no buttons. Inline styles only: mail clients drop the rest.
 */
export function emailHtml(brand: Brand, paragraphs: readonly string[], action?: EmailAction): string {
  const button = (act: EmailAction): SafeHtml => html`
    <p style="margin:24px 0">
      <a href="${act.url}" style="background:${brand.color};color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">${act.label}</a>
    </p>
    <p style="font-size:13px;color:#555555">Or open this address: <a href="${act.url}" style="color:${brand.color}">${act.url}</a></p>`;
  return html`<!doctype html>
<html lang="en">
  <body style="margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1b1d21">
    <div style="max-width:520px;margin:0 auto;background:#ffffff;border-radius:8px;padding:28px">
      ${brand.logoUrl ? html`<img src="${brand.logoUrl}" alt="" height="40" style="display:block;margin-bottom:16px">` : null}
      <p style="font-weight:700;font-size:18px;margin:0 0 16px">${brand.name}</p>
      ${paragraphs.filter(Boolean).map((paragraph) => html`<p style="line-height:1.5;margin:0 0 12px">${paragraph}</p>`)}
      ${action ? button(action) : null}
    </div>
  </body>
</html>`.markup;
}
