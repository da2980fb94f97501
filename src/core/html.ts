/**
 * Markup built by `html`, whose interpolated values were escaped. Only this
 * type is inserted into other markup as it is; any other value is text.
 */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What a template may interpolate: markup built by `html`, text (escaped), or a list of them. */
export type Renderable = SafeHtml | string | number | null | undefined | false | readonly Renderable[];

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => entities[character] ?? character);
}

function render(value: Renderable): string {
  if (value instanceof SafeHtml) return value.markup;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The template tag of every page and email: each `${value}` is escaped
 * (text, attribute values in quotes alike) unless it is itself `html`
 * markup, so no value a user typed can become markup.
 */
export function html(strings: TemplateStringsArray, ...values: Renderable[]): SafeHtml {
  let markup = strings[0] ?? '';
  values.forEach((value, index) => {
    markup += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(markup);
}
