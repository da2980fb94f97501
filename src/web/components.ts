import { html, type Renderable, type SafeHtml } from '../core/html.js';

/** Field errors by input name, in the order the form shows them. */
export type FieldErrors = Record<string, string>;

export interface FieldProps {
  name: string;
  /** When one page has two forms with a field of the same name, the second needs its own id. */
  id?: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'tel' | 'hidden';
  value?: string | undefined;
  autocomplete?: string;
  hint?: string;
  required?: boolean;
  errors?: FieldErrors;
  inputmode?: 'numeric' | 'email' | 'tel';
  pattern?: string;
  maxlength?: number;
  /** Focused when the page opens (the first field, or the first with an error). */
  autofocus?: boolean;
}

/** A labelled input whose error is tied to it for screen readers and shown beside it. */
export function field(props: FieldProps): SafeHtml {
  const id = props.id ?? `field-${props.name}`;
  const error = props.errors?.[props.name];
  // The first field with an error takes the focus (the browser honours the first autofocus); else the one asked for.
  const focus = error !== undefined || (props.autofocus && Object.keys(props.errors ?? {}).length === 0);
  const described = [props.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' invalid' : ''}">
  <label for="${id}">${props.label}</label>
  ${props.hint ? html`<p class="hint" id="${id}-hint">${props.hint}</p>` : null}
  ${error ? html`<p class="error" id="${id}-error">${error}</p>` : null}
  <input id="${id}" name="${props.name}" type="${props.type ?? 'text'}"${props.value !== undefined ? html` value="${props.value}"` : null}${props.autocomplete ? html` autocomplete="${props.autocomplete}"` : null}${props.inputmode ? html` inputmode="${props.inputmode}"` : null}${props.pattern ? html` pattern="${props.pattern}"` : null}${props.maxlength ? html` maxlength="${props.maxlength}"` : null}${props.required === false ? null : html` required`}${described ? html` aria-describedby="${described}"` : null}${error ? html` aria-invalid="true"` : null}${focus ? html` autofocus` : null}>
</div>`;
}

/** A POST form carrying the CSRF token; `return_to` rides along when there is one. */
export function form(props: {
  action: string;
  csrf: string;
  body: Renderable;
  submit: string;
  /** The button's accessible name when its visible text is the same for several rows ("Sign out" of which device). */
  submitLabel?: string;
  returnTo?: string | undefined;
  className?: string;
  secondary?: boolean;
}): SafeHtml {
  return html`<form method="post" action="${props.action}" class="${props.className ?? 'stack'}" novalidate>
  <input type="hidden" name="_csrf" value="${props.csrf}">
  ${props.returnTo ? html`<input type="hidden" name="return_to" value="${props.returnTo}">` : null}
  ${props.body}
  <button type="submit" class="${props.secondary ? 'secondary' : 'primary'}"${props.submitLabel ? html` aria-label="${props.submitLabel}"` : null}>${props.submit}</button>
</form>`;
}

/**
 * What went wrong, at the top of the form, announced by screen readers as
 * soon as the page opens; each line links to its field.
 */
export function errorSummary(errors: FieldErrors, general?: string): SafeHtml | null {
  const entries = Object.entries(errors);
  if (entries.length === 0 && !general) return null;
  return html`<div class="alert error" role="alert" aria-live="assertive" tabindex="-1">
  ${general ? html`<p>${general}</p>` : null}
  ${entries.length > 0 ? html`<ul>${entries.map(([name, message]) => html`<li><a href="#field-${name}">${message}</a></li>`)}</ul>` : null}
</div>`;
}

/** A confirmation or piece of news, announced politely. */
export function notice(text: Renderable, kind: 'success' | 'info' = 'success'): SafeHtml {
  return html`<div class="alert ${kind}" role="status" aria-live="polite">${text}</div>`;
}
