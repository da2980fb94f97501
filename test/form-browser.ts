import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

// A browser without JavaScript, for HTTP-level tests of the pages: it keeps the cookies the pages
// set, sends them back, and posts urlencoded forms with the page's hidden fields (CSRF token, return_to).

export const chromeOnLinux =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags such as HttpOnly have the value ''. */
  attributes: Record<string, string>;
}

/** The cookies a response sets, parsed from its `set-cookie` headers. */
export function setCookies(response: LightMyRequestResponse): SetCookie[] {
  const header = response.headers['set-cookie'];
  const lines = header === undefined ? [] : [header].flat();
  return lines.map((line) => {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const equals = pair.indexOf('=');
    return {
      name: pair.slice(0, equals),
      value: pair.slice(equals + 1),
      attributes: Object.fromEntries(
        attributes.map((attribute) => {
          const [key = '', ...value] = attribute.split('=');
          return [key.toLowerCase(), value.join('=')];
        }),
      ),
    };
  });
}

export function cookieSetBy(response: LightMyRequestResponse, name: string): SetCookie | undefined {
  return setCookies(response).find((cookie) => cookie.name === name);
}

/** What a browser does with it: an empty value or an expiry in the past deletes the cookie. */
export function isCleared(cookie: SetCookie): boolean {
  const expires = cookie.attributes.expires;
  return (
    cookie.value === '' ||
    cookie.attributes['max-age'] === '0' ||
    (expires !== undefined && Date.parse(expires) <= Date.now())
  );
}

const htmlEntities: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };
export const unescapeHtml = (text: string) =>
  text.replace(/&(amp|quot|#39|lt|gt);/g, (entity) => htmlEntities[entity] ?? entity);

/** The `_csrf` hidden input of a page. */
export function csrfOf(page: string): string {
  const match = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(page);
  if (!match?.[1]) throw new Error('no _csrf field on the page');
  return match[1];
}

/** The hidden inputs of the page's form posting to `action`, as a browser would send them. */
export function hiddenFieldsOf(page: string, action: string): Record<string, string> {
  const start = page.indexOf(`<form method="post" action="${action}"`);
  if (start < 0) throw new Error(`no form posting to ${action} on the page`);
  const form = page.slice(start, page.indexOf('</form>', start));
  const fields = [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)];
  return Object.fromEntries(fields.map(([, name = '', value = '']) => [name, unescapeHtml(value)]));
}

export type Form = Record<string, string>;
export type Headers = Record<string, string>;
export type Browser = ReturnType<typeof openBrowser>;

/** A browser without JavaScript: keeps the cookies the pages set, sends them back, posts urlencoded forms. */
export function openBrowser(app: FastifyInstance, userAgent = chromeOnLinux) {
  const jar = new Map<string, string>();

  async function send(method: 'GET' | 'POST', url: string, form?: Form, headers: Headers = {}) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await app.inject({
      method,
      url,
      headers: {
        'user-agent': userAgent,
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    for (const set of setCookies(response)) {
      if (isCleared(set)) jar.delete(set.name);
      else jar.set(set.name, set.value);
    }
    return response;
  }

  return {
    cookie: (name: string) => jar.get(name),
    setCookie: (name: string, value: string) => jar.set(name, value),
    get: (url: string, headers?: Headers) => send('GET', url, undefined, headers),
    post: (url: string, form: Form, headers?: Headers) => send('POST', url, form, headers),
    /** Opens `page` and fills in its form to `action`: the page's hidden fields (CSRF token, return_to) ride along. */
    async submit(page: string, action: string, fields: Form, headers?: Headers) {
      const opened = await send('GET', page);
      expect(opened.statusCode).toBe(200);
      return send('POST', action, { ...hiddenFieldsOf(opened.body, action), ...fields }, headers);
    },
  };
}
