/**
 * The dashboard's edition pages: the editor (a form generated from the edition schema, with the
 * live preview beside it), its YAML view, and the list of stored editions.
 */
import { GMAIL_CLIP_BYTES, HTML_WARN_BYTES } from '../../composer/lint.ts';
import type { StoredEdition } from '../../domain/stored-edition.ts';
import { html, type SafeHtml } from '../html.ts';
import {
  childPath,
  EDITION_FORM_SCHEMA,
  type EditionValue,
  type FieldMessage,
  formPaths,
  kindOf,
  placeMessages,
  type SchemaNode,
} from './edition-form.ts';
import { localTime } from './layout.ts';

/** What editors see for each field name; a field the schema adds later shows under its own name. */
const LABELS: Record<string, string> = {
  newsletter: 'Newsletter',
  date: 'Date',
  subject: 'Subject',
  preheader: 'Preheader (inbox preview line)',
  watching: "What We're Watching (lead stories)",
  moreForYou: 'More For You',
  sponsor: 'Sponsor',
  headline: 'Headline',
  figure: 'Number of the day',
  teaser: 'Teaser (Markdown)',
  body: 'Body (Markdown)',
  image: 'Image',
  src: 'Image address',
  alt: 'Alt text (what the image shows)',
  caption: 'Caption',
  credit: 'Credit',
  link: 'Link',
  track: 'Link tracking',
  label: 'Label ("Presented by …")',
};

/** Item names in each list, for legends and buttons. */
const ITEM: Record<string, string> = { watching: 'Story', moreForYou: 'Item' };

const HINTS: Record<string, string> = {
  figure: 'A number-of-the-day item shows this large, e.g. 10,000; a headline is then optional.',
  body: 'Paragraphs, *emphasis*, **bold**, [links](https://…). {{firstName}} greets the reader.',
  teaser: 'One paragraph: *emphasis*, **bold**, [links](https://…).',
};

/** The id of a path's control: `moreForYou[1].image.src` → `f-moreForYou-1-image-src`. */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9_]+/g, '-').replace(/-$/, '')}`;
}

function labelOf(key: string): string {
  return LABELS[key] ?? key;
}

interface RenderContext {
  placed: Map<string, FieldMessage[]>;
  fields: Record<string, string>;
  /** Newsletter ids to offer. */
  newsletters: string[];
}

function messagesAt(ctx: RenderContext, path: string): SafeHtml {
  const list = ctx.placed.get(path) ?? [];
  return html`<ul class="field-msgs" id="${fieldId(path)}-msgs" data-msgs-for="${path}" aria-live="polite">${list.map(
    (m) => html`<li class="${m.level}">${m.message}</li>`,
  )}</ul>`;
}

function control(node: SchemaNode, key: string, path: string, required: boolean, ctx: RenderContext): SafeHtml {
  const id = fieldId(path);
  const value = ctx.fields[path] ?? '';
  const hasError = (ctx.placed.get(path) ?? []).some((m) => m.level === 'error');
  const common = html`id="${id}" name="${path}" aria-describedby="${id}-msgs${HINTS[key] ? ` ${id}-hint` : ''}"${hasError ? html` aria-invalid="true"` : ''}${required ? html` aria-required="true"` : ''}`;
  const max = node.maxLength ? html` maxlength="${node.maxLength}"` : '';
  const kind = kindOf(node, key);
  let input: SafeHtml;
  if (kind === 'flag') {
    input = html`<select ${common}><option value=""${value === '' ? html` selected` : ''}>as the newsletter sets it</option>
<option value="true"${value === 'true' ? html` selected` : ''}>tracked</option><option value="false"${value === 'false' ? html` selected` : ''}>not tracked</option></select>`;
  } else if (kind === 'markdown') {
    input = html`<textarea ${common}${max} rows="${key === 'body' ? 8 : 3}">${value}</textarea>`;
  } else if (kind === 'date') {
    input = html`<input type="date" ${common} value="${value}">`;
  } else if (kind === 'url') {
    input = html`<input type="url" ${common} value="${value}" placeholder="https://…">`;
  } else if (key === 'newsletter') {
    input = html`<input type="text" ${common} value="${value}" list="newsletter-ids" autocomplete="off"><datalist id="newsletter-ids">${ctx.newsletters.map((n) => html`<option value="${n}">`)}</datalist>`;
  } else {
    input = html`<input type="text" ${common}${max} value="${value}">`;
  }
  const upload =
    key === 'src'
      ? html`<div class="upload"><label class="check" for="${id}-file">Upload an image</label>
<input type="file" id="${id}-file" accept="image/png,image/jpeg,image/gif,image/webp" data-upload-for="${id}"><span class="muted" data-upload-status="${id}" role="status"></span></div>`
      : '';
  return html`<div class="field field-${kind}" data-path="${path}">
<label for="${id}">${labelOf(key)}${required ? '' : html` <span class="muted">(optional)</span>`}</label>
${input}${HINTS[key] ? html`<p class="hint muted" id="${id}-hint">${HINTS[key]}</p>` : ''}${upload}
${messagesAt(ctx, path)}</div>`;
}

function renderNode(node: SchemaNode, key: string, path: string, required: boolean, value: unknown, ctx: RenderContext): SafeHtml {
  const kind = kindOf(node, key);
  if (kind === 'object') {
    const props = Object.entries(node.properties ?? {});
    const req = new Set(node.required ?? []);
    const obj = (value ?? {}) as Record<string, unknown>;
    const inner = props.map(([k, child]) => renderNode(child, k, childPath(path, k), req.has(k), obj[k], ctx));
    return html`<fieldset class="group group-${key}" data-path="${path}"><legend>${labelOf(key)}${required ? '' : html` <span class="muted">(optional)</span>`}</legend>
${messagesAt(ctx, path)}${inner}</fieldset>`;
  }
  if (kind === 'list') return renderList(node, key, path, value, ctx);
  return control(node, key, path, required, ctx);
}

function renderItem(node: SchemaNode, list: string, index: number | '__i__', value: unknown, ctx: RenderContext): SafeHtml {
  const path = `${list}[${index}]`;
  const props = Object.entries(node.properties ?? {});
  const req = new Set(node.required ?? []);
  const obj = (value ?? {}) as Record<string, unknown>;
  const n = index === '__i__' ? '' : String(index + 1);
  const name = ITEM[list] ?? 'Item';
  return html`<fieldset class="item" data-item data-path="${path}"><legend>${name} <span data-n>${n}</span></legend>
<div class="item-tools">
<button type="button" class="secondary" data-move="-1" aria-label="Move ${name.toLowerCase()} ${n} up">↑ Up</button>
<button type="button" class="secondary" data-move="1" aria-label="Move ${name.toLowerCase()} ${n} down">↓ Down</button>
<button type="button" class="danger" data-remove aria-label="Remove ${name.toLowerCase()} ${n}">Remove</button></div>
${messagesAt(ctx, path)}${props.map(([k, child]) => renderNode(child, k, childPath(path, k), req.has(k), obj[k], ctx))}</fieldset>`;
}

function renderList(node: SchemaNode, key: string, path: string, value: unknown, ctx: RenderContext): SafeHtml {
  const items = Array.isArray(value) ? value : [];
  const blank: RenderContext = { ...ctx, placed: new Map(), fields: {} };
  const name = (ITEM[key] ?? 'Item').toLowerCase();
  return html`<fieldset class="list" data-path="${path}" data-list="${path}" data-min="${node.minItems ?? 0}" data-max="${node.maxItems ?? ''}">
<legend>${labelOf(key)}</legend>
${messagesAt(ctx, path)}
<div class="items" data-items>${items.map((item, i) => renderItem(node.items ?? {}, path, i, item, ctx))}</div>
<template data-item-template>${renderItem(node.items ?? {}, path, '__i__', {}, blank)}</template>
<button type="button" class="secondary" data-add>Add ${name === 'item' ? 'an item' : `a ${name}`}</button></fieldset>`;
}

export interface EditorData {
  csrf: string;
  /** The edition as the form shows it (may be incomplete or invalid). */
  value: EditionValue;
  /** Its fields as text, by path. */
  fields: Record<string, string>;
  messages: FieldMessage[];
  newsletters: string[];
  /** The stored edition this form edits, when it has been saved. */
  stored?: StoredEdition | null | undefined;
  /**
   * The id of the stored edition this page was editing, as posted back (`_id`), kept even when
   * that edition is gone: its autosave is then refused instead of making it again.
   */
  editing?: string | undefined;
  flash?: SafeHtml | undefined;
  /** The first preview, rendered on the server when the edition composes. */
  preview?: PreviewPanel | undefined;
  readOnly?: boolean;
}

/** What the live preview shows; the page script replaces it as the editor types. */
export interface PreviewPanel {
  html: string;
  dark: string;
  text: string;
  htmlBytes: number;
}

/** Form and preview: the edition editor. */
export function editorView(d: EditorData): SafeHtml {
  const paths = formPaths(d.value);
  const placed = placeMessages(d.messages, paths);
  const ctx: RenderContext = { placed, fields: d.fields, newsletters: d.newsletters };
  const props = Object.entries(EDITION_FORM_SCHEMA.properties ?? {});
  const req = new Set(EDITION_FORM_SCHEMA.required ?? []);
  const stored = d.stored;
  const top = (keys: string[]) => props.filter(([k]) => keys.includes(k)).map(([k, node]) => renderNode(node, k, k, req.has(k), d.value[k], ctx));
  const known = ['newsletter', 'date', 'subject', 'preheader'];
  return html`${d.flash}
<div class="row"><h1>${stored ? html`Edition ${stored.newsletter}, ${stored.date}` : 'New edition'}</h1>
${stored && html`<span class="status status-${stored.state}" data-field="state">${stored.state}</span>`}
<span class="spacer"></span><span class="muted" data-autosave-status role="status">${stored ? html`Revision ${stored.revision}, saved by ${stored.savedBy} ${localTime(stored.savedAt)}` : 'Not saved yet: saved as a draft as you type, once the edition is complete.'}</span></div>
<div class="problems" data-msgs-general ${(placed.get('') ?? []).length ? '' : html`hidden`} role="alert"><ul data-msgs-for="">${(placed.get('') ?? []).map(
    (m) => html`<li class="${m.level}">${m.message}</li>`,
  )}</ul></div>
<div class="edition-editor">
<form id="edition-form" class="edition-form" method="post" action="/admin/editions/save" novalidate
 data-edition-form${d.readOnly ? '' : html` data-preview-url="/admin/editions/preview" data-autosave-url="/admin/editions/autosave" data-upload-url="/admin/media"`}>
<input type="hidden" name="_csrf" value="${d.csrf}">
<input type="hidden" name="_id" value="${stored?.id ?? d.editing ?? ''}" data-edition-id>
<fieldset class="group"><legend>The edition</legend>${top(known)}</fieldset>
${props.filter(([k]) => !known.includes(k)).map(([k, node]) => renderNode(node, k, k, req.has(k), d.value[k], ctx))}
${!d.readOnly && html`<div class="row actions">
<button type="submit">Save draft</button>
<button type="submit" class="secondary" formaction="/admin/editions/yaml">YAML view</button>
<button type="submit" class="secondary" formaction="/admin/editions/test" data-send-test>Send test to the editors</button>
</div>`}
</form>
<aside class="live-preview" aria-label="Preview">
${previewPanel(d.preview)}
${stored ? editionActions(stored, d.csrf, d.readOnly) : html`<p class="card" data-stored-link hidden>Saved as a draft: <a href="">open the stored edition</a> to approve it.</p>`}
</aside>
</div>`;
}

/** The preview column: the Gmail clip meter, the views, and the text part. */
export function previewPanel(p: PreviewPanel | undefined): SafeHtml {
  const bytes = p?.htmlBytes ?? 0;
  return html`<div class="card clip"><label for="clip-meter">Size against Gmail's clip</label>
<meter id="clip-meter" min="0" max="${GMAIL_CLIP_BYTES}" low="${HTML_WARN_BYTES}" high="${HTML_WARN_BYTES}" optimum="0" value="${bytes}" data-clip-meter></meter>
<span data-clip-text>${p ? clipText(bytes) : 'no preview yet'}</span></div>
<fieldset class="views" data-preview-views><legend>Preview</legend>
<label class="check"><input type="radio" name="view" value="w600" checked> Desktop 600 px</label>
<label class="check"><input type="radio" name="view" value="w375"> Phone 375 px</label>
<label class="check"><input type="radio" name="view" value="dark"> Dark mode</label>
<label class="check"><input type="radio" name="view" value="text"> Text part</label></fieldset>
<p class="muted" data-preview-state role="status">${p ? 'The sample reader\'s copy.' : 'The preview appears once the edition composes.'}</p>
<div class="live-frames">
<iframe class="w600" data-frame="light" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="Preview (light)" srcdoc="${p ? withBase(p.html) : ''}"></iframe>
<iframe class="w600" data-frame="dark" hidden sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="Preview in dark mode" srcdoc="${p ? withBase(p.dark) : ''}"></iframe>
<pre class="text" data-frame="text" hidden>${p?.text ?? ''}</pre>
</div>`;
}

/** "38.2 KB of Gmail's 100 KB (37 %)". */
export function clipText(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB of Gmail's ${GMAIL_CLIP_BYTES / 1024} KB (${Math.round((100 * bytes) / GMAIL_CLIP_BYTES)} %)`;
}

/** Links in the preview open in a new tab. */
export function withBase(document: string): string {
  return /<head[^>]*>/i.test(document) ? document.replace(/<head[^>]*>/i, (h) => `${h}<base target="_blank">`) : `<base target="_blank">${document}`;
}

/**
 * The email as a client in dark mode shows it: its own `prefers-color-scheme: dark` styles applied
 * (the frame cannot be told the reader's setting, so the media query is switched on in the copy).
 */
export function darkCopy(document: string): string {
  return document.replace(/prefers-color-scheme\s*:\s*dark/gi, 'min-width: 0px').replace(/prefers-color-scheme\s*:\s*light/gi, 'max-width: 0px');
}

function editionActions(e: StoredEdition, csrf: string, readOnly: boolean | undefined): SafeHtml {
  return html`<div class="card edition-actions" data-edition-actions data-state="${e.state}">
<dl class="facts"><dt>Stored as</dt><dd><code>${e.id}</code>, revision ${e.revision}</dd>
${e.approvedBy && html`<dt>Approved</dt><dd>by ${e.approvedBy} ${localTime(e.approvedAt)}</dd>`}
${e.campaignIds.length > 0 && html`<dt>Campaigns</dt><dd>${e.campaignIds.map((c) => html`<a href="/admin/campaigns/${c}">${c}</a> `)}</dd>`}</dl>
${!readOnly && e.state === 'draft' && html`<form method="post" action="/admin/editions/${e.id}/approve" data-flush-autosave><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Approve</button></form>`}
${!readOnly && e.state === 'approved' && html`<a class="button" href="/admin/editions/${e.id}/campaign">Create campaign</a>`}
${!readOnly && e.state !== 'sent' && deleteForm(e, csrf)}
</div>`;
}

/** Delete, for an edition never sent (a sent one stays), after the browser asks. */
function deleteForm(e: StoredEdition, csrf: string): SafeHtml {
  return html`<form class="inline" method="post" action="/admin/editions/${e.id}/delete" data-confirm="Delete edition ${e.id} and its ${e.latestRevision === 1 ? 'revision' : `${e.latestRevision} revisions`}?"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="danger">Delete</button></form>`;
}

/** The YAML view: the same edition as text, which goes back into the form. */
export function yamlView(d: { csrf: string; yaml: string; id: string; messages: FieldMessage[]; flash?: SafeHtml | undefined }): SafeHtml {
  return html`${d.flash}<div class="row"><h1>Edition as YAML</h1></div>
${d.messages.length > 0 && html`<div class="problems" role="alert"><ul>${d.messages.map((m) => html`<li class="${m.level}">${m.path ? html`<code>${m.path}</code> ` : ''}${m.message}</li>`)}</ul></div>`}
<form method="post" action="/admin/editions/form" class="yaml-view">
<input type="hidden" name="_csrf" value="${d.csrf}"><input type="hidden" name="_id" value="${d.id}">
<label for="yaml">Edition (YAML)</label>
<textarea id="yaml" name="yaml" spellcheck="false">${d.yaml}</textarea>
<div class="row actions"><button type="submit">Back to the form</button>
<button type="submit" class="secondary" formaction="/admin/editions/save">Save draft</button></div>
</form>`;
}

/** Every stored edition, newest date first. */
export function editionListView(
  editions: (StoredEdition & { subject: string })[],
  opts: { csrf: string; readOnly: boolean; flash?: SafeHtml | undefined; page: number; pages: number; total: number },
): SafeHtml {
  const head = html`${opts.flash}<div class="row"><h1>Editions</h1><span class="spacer"></span>${!opts.readOnly && html`<a class="button" href="/admin/editions/new">New edition</a>`}</div>`;
  const pageUrl = (n: number) => (n === 1 ? '/admin/editions' : `/admin/editions?page=${n}`);
  const pager =
    opts.pages > 1
      ? html`<nav class="row pager" aria-label="Pages of editions">${opts.page > 1 ? html`<a href="${pageUrl(opts.page - 1)}" rel="prev">Newer</a>` : ''}
<span class="muted">Page ${opts.page} of ${opts.pages} (${opts.total} editions)</span>${opts.page < opts.pages ? html`<a href="${pageUrl(opts.page + 1)}" rel="next">Older</a>` : ''}</nav>`
      : '';
  if (!editions.length) return html`${head}<div class="card"><p>No stored editions yet.</p></div>`;
  const rows = editions.map(
    (e) => html`<tr data-edition="${e.id}" data-state="${e.state}">
<td><a href="/admin/editions/${e.id}"><strong>${e.subject}</strong></a><span class="sub">${e.newsletter}, ${e.date}</span></td>
<td><span class="status status-${e.state}">${e.state}</span></td>
<td class="num">${e.revision}</td>
<td>${e.savedBy}<span class="sub">${localTime(e.savedAt)}</span></td>
<td>${e.approvedBy ?? html`<span class="muted">–</span>`}</td>
<td>${e.campaignIds.map((c) => html`<a href="/admin/campaigns/${c}">${c}</a> `)}</td>
<td>${!opts.readOnly && e.state === 'draft' && html`<form class="inline" method="post" action="/admin/editions/${e.id}/approve"><input type="hidden" name="_csrf" value="${opts.csrf}"><button type="submit">Approve</button></form>`}
${!opts.readOnly && e.state === 'approved' && html`<a class="button" href="/admin/editions/${e.id}/campaign">Create campaign</a>`}
${!opts.readOnly && e.state !== 'sent' && deleteForm(e, opts.csrf)}</td>
</tr>`,
  );
  return html`${head}<table><thead><tr><th>Edition</th><th>State</th><th class="num">Revision</th><th>Saved</th><th>Approved by</th><th>Campaigns</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>${pager}`;
}
