/**
 * The Markdown editors may write: paragraphs, emphasis, links, lists, quotes, inline code.
 * Raw HTML is shown as text (`html: false`), and a link whose scheme is not https, http or mailto
 * (docs/architecture.md, invariant 6) never becomes a link: it stays visible text, and validation reports it.
 */
import MarkdownIt, { type Token } from 'markdown-it';
import { isAllowedLink } from '../domain/link.ts';

/**
 * Replaces each link target as it is rendered (after it passed the scheme check and markdown-it
 * normalized it): the composer uses it to mark links so it can find them in the output.
 */
export type LinkMapper = (href: string) => string;

/** Renders editor Markdown for the HTML and the text part, and finds links it would refuse. */
export interface MarkdownRenderer {
  /** Block Markdown (paragraphs, lists) as HTML. */
  html(src: string, mapLink?: LinkMapper): string;
  /** Inline Markdown (one paragraph's worth, no `<p>`) as HTML. */
  inlineHtml(src: string, mapLink?: LinkMapper): string;
  /** Markdown as plain text for the text part: links become `text (url)`, lists keep their bullets. */
  text(src: string, mapLink?: LinkMapper): string;
  /** Link targets in `src` that will not be rendered as links, in order of appearance. */
  rejectedLinks(src: string): string[];
}

/** Builds a renderer; each has its own markdown-it instance, nothing is shared between them. */
export function createMarkdown(): MarkdownRenderer {
  // While `rejectedLinks` parses, refused targets are collected here; otherwise they are dropped.
  let rejected: string[] | undefined;
  const md = new MarkdownIt('zero', { html: false, xhtmlOut: true, linkify: false, typographer: false });
  // Headings, tables, images and code blocks are left out on purpose: the template owns the
  // page structure, and pictures need the image field (with alt text, caption and credit).
  md.enable(['paragraph', 'list', 'blockquote', 'reference', 'newline', 'emphasis', 'strikethrough']);
  md.enable(['link', 'autolink', 'escape', 'entity', 'backticks']);
  md.validateLink = (url) => {
    const ok = isAllowedLink(url);
    if (!ok) rejected?.push(url);
    return ok;
  };
  const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx] as Token;
    // Webmail opens links in a new tab; noopener keeps the opened page away from the inbox window.
    token.attrSet('target', '_blank');
    token.attrSet('rel', 'noopener noreferrer');
    const mapLink = (env as { mapLink?: LinkMapper } | undefined)?.mapLink;
    if (mapLink) token.attrSet('href', mapLink(String(token.attrGet('href') ?? '')));
    return defaultLinkOpen(tokens, idx, options, env, self);
  };

  return {
    html: (src, mapLink) => md.render(src, { mapLink }),
    inlineHtml: (src, mapLink) => md.renderInline(src, { mapLink }),
    text: (src, mapLink) => blocksToText(md.parse(src, {}), mapLink),
    rejectedLinks(src) {
      rejected = [];
      try {
        md.parse(src, {});
        return rejected;
      } finally {
        rejected = undefined;
      }
    },
  };
}

/** Walks markdown-it's block tokens and writes one line per paragraph or list item. */
function blocksToText(tokens: Token[], mapLink: LinkMapper | undefined): string {
  const out: string[] = [];
  const lists: { ordered: boolean; n: number }[] = [];
  let quoteDepth = 0;
  let bullet = '';
  let prevInList = false;
  for (const t of tokens) {
    switch (t.type) {
      case 'bullet_list_open':
      case 'ordered_list_open':
        lists.push({ ordered: t.type === 'ordered_list_open', n: Number(t.attrGet('start') ?? 1) });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        // A list that follows another starts a new block, like a paragraph would.
        if (lists.length === 0) prevInList = false;
        break;
      case 'list_item_open': {
        const list = lists[lists.length - 1];
        const indent = '  '.repeat(Math.max(0, lists.length - 1));
        bullet = list?.ordered ? `${indent}${list.n++}. ` : `${indent}- `;
        break;
      }
      case 'blockquote_open':
        quoteDepth++;
        break;
      case 'blockquote_close':
        quoteDepth--;
        break;
      case 'inline': {
        const quote = '> '.repeat(quoteDepth);
        const body = inlineToText(t.children ?? [], mapLink).replace(/\n/g, `\n${quote}`);
        // Items of one list sit on consecutive lines; everything else is a paragraph of its own.
        const inList = lists.length > 0;
        const separator = out.length === 0 ? '' : inList && prevInList ? '\n' : '\n\n';
        out.push(`${separator}${quote}${bullet}${body}`);
        bullet = '';
        prevInList = inList;
        break;
      }
    }
  }
  return out.join('');
}

function inlineToText(children: Token[], mapLink: LinkMapper | undefined): string {
  let out = '';
  let link: { href: string; start: number } | undefined;
  for (const t of children) {
    switch (t.type) {
      case 'text':
      case 'code_inline':
        out += t.content;
        break;
      case 'softbreak':
      case 'hardbreak':
        out += '\n';
        break;
      case 'link_open':
        link = { href: String(t.attrGet('href') ?? ''), start: out.length };
        break;
      case 'link_close':
        if (link) {
          const label = out.slice(link.start);
          // An autolink already shows its address; repeating it would read "x (x)".
          if (label !== link.href && `mailto:${label}` !== link.href) out += ` (${mapLink ? mapLink(link.href) : link.href})`;
          else if (mapLink && mapLink(link.href) !== link.href) out = `${out.slice(0, link.start)}${mapLink(link.href)}`;
          link = undefined;
        }
        break;
    }
  }
  return out;
}
