/**
 * The dashboard's edition form, derived from the edition schema (src/domain/edition.schema.ts):
 * the schema's JSON Schema gives the fields, their order, which are required, lists and their
 * limits, so a field added there shows up in the form. This file turns the form's flat fields
 * (`watching[0].image.alt`, the same paths lint and validation problems carry) into an edition
 * value and back, and writes the value as tidy YAML (the form's advanced view).
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { Edition } from '../../domain/edition.schema.ts';
import type { InputProblem } from '../../domain/errors.ts';

/** The part of JSON Schema the edition's schema produces and the form reads. */
export interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

/** The edition schema as the form reads it (what an editor types: the schema's input side). */
export const EDITION_FORM_SCHEMA = z.toJSONSchema(Edition, { io: 'input', unrepresentable: 'any' }) as SchemaNode;

/** A form field's value as a form posts it (a repeated name comes as a list). */
export type FormFields = Record<string, string | string[] | undefined>;

/** What a plain edition value looks like before validation. */
export type EditionValue = Record<string, unknown>;

export type FieldKind = 'object' | 'list' | 'flag' | 'text' | 'markdown' | 'url' | 'date';

/** Which control a schema node gets. Long text is Markdown (a textarea); links and images are URLs. */
export function kindOf(node: SchemaNode, key: string): FieldKind {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes('object')) return 'object';
  if (types.includes('array')) return 'list';
  if (types.length === 1 && types[0] === 'boolean') return 'flag';
  if (key === 'date') return 'date';
  if (key === 'link' || key === 'src') return 'url';
  if ((node.maxLength ?? 0) > 600) return 'markdown';
  return 'text';
}

/** `watching[0]` + `image` → `watching[0].image`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * The edition the form's fields describe, keys in the schema's order. Blank fields are left out,
 * as are objects (an image, the sponsor) left entirely blank; a list item left blank stays, so
 * what is missing in it is reported at its own place.
 */
export function editionFromFields(fields: FormFields, schema: SchemaNode = EDITION_FORM_SCHEMA): EditionValue {
  return (fromFields(schema, '', '', fields) as EditionValue | undefined) ?? {};
}

function fromFields(node: SchemaNode, key: string, path: string, fields: FormFields): unknown {
  const kind = kindOf(node, key);
  if (kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(node.properties ?? {})) {
      const v = fromFields(child, k, childPath(path, k), fields);
      if (v !== undefined) out[k] = v;
    }
    return path !== '' && Object.keys(out).length === 0 ? undefined : out;
  }
  if (kind === 'list') {
    const indices = new Set<number>();
    const prefix = `${path}[`;
    for (const name of Object.keys(fields)) {
      if (!name.startsWith(prefix)) continue;
      const m = /^(\d+)\]/.exec(name.slice(prefix.length));
      if (m) indices.add(Number(m[1]));
    }
    const items = [...indices].sort((a, b) => a - b).map((i) => fromFields(node.items ?? {}, '', childPath(path, i), fields) ?? {});
    if (items.length === 0) return (node.minItems ?? 0) > 0 ? [] : undefined;
    return items;
  }
  const raw = one(fields[path]);
  if (raw === undefined) return undefined;
  if (kind === 'flag') return raw === 'true' ? true : raw === 'false' ? false : undefined;
  // Browsers send a textarea's line breaks as CRLF; the edition keeps plain \n.
  const text = raw.replace(/\r\n?/g, '\n').trim();
  return text === '' ? undefined : text;
}

/** Each path in `value` the form can show, with its text: the inverse of {@link editionFromFields}. */
export function fieldsFromEdition(value: unknown, schema: SchemaNode = EDITION_FORM_SCHEMA): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: SchemaNode, key: string, path: string, v: unknown) => {
    if (v === undefined || v === null) return;
    const kind = kindOf(node, key);
    if (kind === 'object' && isPlainObject(v)) {
      for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, k, childPath(path, k), v[k]);
    } else if (kind === 'list' && Array.isArray(v)) {
      v.forEach((item, i) => walk(node.items ?? {}, '', childPath(path, i), item));
    } else if (kind === 'flag' && typeof v === 'boolean') {
      out[path] = String(v);
    } else if (typeof v === 'string' || typeof v === 'number') {
      out[path] = String(v);
    }
  };
  walk(schema, '', '', value);
  return out;
}

/**
 * What in a value the form cannot hold (a field the schema does not have, text where an image
 * belongs, …), each with its path: such an edition stays in the YAML view until it is fixed, so
 * switching views never drops anything silently.
 */
export function formCannotShow(value: unknown, schema: SchemaNode = EDITION_FORM_SCHEMA): InputProblem[] {
  const problems: InputProblem[] = [];
  const walk = (node: SchemaNode, key: string, path: string, v: unknown) => {
    if (v === undefined) return;
    const kind = kindOf(node, key);
    const say = (message: string) => problems.push({ path, message });
    if (kind === 'object') {
      if (!isPlainObject(v)) return say('must be a set of fields (key: value) for the form to show it');
      const known = node.properties ?? {};
      for (const k of Object.keys(v)) {
        if (!(k in known)) problems.push({ path: childPath(path, k), message: `is not a field of the edition (the form has ${Object.keys(known).join(', ')})` });
        else walk(known[k] as SchemaNode, k, childPath(path, k), v[k]);
      }
    } else if (kind === 'list') {
      if (!Array.isArray(v)) return say('must be a list (items starting with "- ") for the form to show it');
      v.forEach((item, i) => walk(node.items ?? {}, '', childPath(path, i), item));
    } else if (kind === 'flag') {
      if (typeof v !== 'boolean') say('must be true or false');
    } else if (typeof v !== 'string' && typeof v !== 'number') {
      say('must be text for the form to show it');
    } else if (kind === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) {
      // A date field holds only YYYY-MM-DD: the browser would empty it, and the date would be lost.
      say('must be a date like 2025-02-13 for the form to show it');
    }
  };
  if (!isPlainObject(value)) return [{ path: '', message: 'the edition must be a set of fields (newsletter: …, date: …)' }];
  walk(schema, '', '', value);
  return problems;
}

/**
 * The edition as YAML an editor would write: keys in the schema's order, Markdown as `|` blocks,
 * no folded lines, nothing quoted that needs no quotes.
 */
export function editionYaml(value: EditionValue): string {
  return stringify(value, { lineWidth: 0, blockQuote: 'literal', indentSeq: true, aliasDuplicateObjects: false });
}

/** Every path the form renders a place for (fields, objects, lists and list items), to put messages beside. */
export function formPaths(value: unknown, schema: SchemaNode = EDITION_FORM_SCHEMA): Set<string> {
  const paths = new Set<string>();
  const walk = (node: SchemaNode, key: string, path: string, v: unknown) => {
    if (path) paths.add(path);
    const kind = kindOf(node, key);
    if (kind === 'object') {
      for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, k, childPath(path, k), isPlainObject(v) ? v[k] : undefined);
    } else if (kind === 'list' && Array.isArray(v)) {
      v.forEach((item, i) => walk(node.items ?? {}, '', childPath(path, i), item));
    }
  };
  walk(schema, '', '', value);
  return paths;
}

/** One message the editor sees, from validation (always an error) or the lint report. */
export interface FieldMessage {
  path: string;
  level: 'error' | 'warning';
  message: string;
}

/**
 * Puts each message at the nearest place the form has for it: its own field, else the closest
 * enclosing one (`sponsor.label` → `sponsor`), else the top of the form (path '').
 */
export function placeMessages(messages: FieldMessage[], paths: Set<string>): Map<string, FieldMessage[]> {
  const placed = new Map<string, FieldMessage[]>();
  for (const m of messages) {
    let at = m.path;
    while (at && !paths.has(at)) at = parentPath(at);
    placed.set(at, [...(placed.get(at) ?? []), m]);
  }
  return placed;
}

/** `watching[0].image.alt` → `watching[0].image` → `watching[0]` → `watching` → ''. */
export function parentPath(path: string): string {
  const m = /^(.*?)(?:\.[^.[\]]+|\[\d+\])$/.exec(path);
  return m ? (m[1] as string) : '';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
