/**
 * Server-rendered HTML without a template engine: a tagged template that escapes every value
 * unless it is already {@link SafeHtml}. Editor and subscriber text can therefore never become
 * markup by accident (docs/architecture.md, invariant 6).
 */
import { escapeHtml } from '../domain/personalization.ts';

/** Markup that is already safe to send: built by {@link html} or deliberately marked by {@link raw}. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * `html\`<p>${name}</p>\`` escapes `name`; arrays are joined; null, undefined and false render
 * nothing, so `${cond && html\`…\`}` works.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] as string);
  return new SafeHtml(out);
}

/** Marks trusted markup (our own, or an email's HTML going into `srcdoc` after escaping) as safe. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
