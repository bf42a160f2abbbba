/**
 * Reading an editor's YAML or JSON file so every problem can point at a line. JSON goes through
 * the same YAML parser (JSON is YAML 1.2), so both get node positions.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
import type { InputProblem } from '../domain/errors.ts';
import { ValidationError } from '../domain/errors.ts';

/** Files larger than this are refused before parsing: an edition is a few kilobytes. */
export const SOURCE_MAX_BYTES = 1024 * 1024;

/** At most this many problems are listed; a broken file otherwise buries the first, real one. */
export const MAX_PROBLEMS = 50;

/** A parsed file: its plain value and a way to find the line of any path in it. */
export interface YamlSource {
  value: unknown;
  /**
   * The 1-based line of the deepest node along `path` that exists: the key's line for a field,
   * the parent's line for a missing field. With `needle`, the line where that text first occurs
   * inside the node (a bad link in the middle of a long Markdown body).
   */
  lineOf(path: ReadonlyArray<PropertyKey>, needle?: string): number | undefined;
}

/**
 * Parses YAML or JSON text.
 * @param code the ValidationError code to throw with, e.g. `edition_invalid`
 * @throws ValidationError listing every syntax error with its line
 */
/** Where the quoted scalar that runs up to `end` (an unclosed quote) starts, if the parser kept it. */
function unclosedQuoteStart(doc: ReturnType<typeof parseDocument>, end: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range && node.range[1] >= end) start = node.range[0];
    },
  });
  return start;
}

export function parseYamlSource(text: string, source: string, code: string): YamlSource {
  if (Buffer.byteLength(text) > SOURCE_MAX_BYTES) {
    throw new ValidationError(code, source, [{ path: '', message: `file is larger than ${SOURCE_MAX_BYTES / 1024} KB` }]);
  }
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    throw new ValidationError(code, source, [{ path: '', message: yamlMessage(err) }]);
  }
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      if (e.code === 'BLOCK_AS_IMPLICIT_KEY') return { path: '', message: colonInValueMessage(text, e.pos[0]), line: lineCounter.linePos(e.pos[0]).line };
      // The parser's message ends with its own position; we give the line separately.
      const message = yamlMessage(e);
      const opened = /^YAML: Missing closing ["']quote/.test(message) ? unclosedQuoteStart(doc, e.pos[0]) : undefined;
      return opened === undefined
        ? { path: '', message, line: lineCounter.linePos(e.pos[0]).line }
        : // The parser reports where the file ran out; the editor needs the line the quote opened on.
          { path: '', message: `${message}: the quoted text that starts here runs to the end of the file`, line: lineCounter.linePos(opened).line };
    });
    // Junk nested too deeply makes the parser give up on every level it unwinds: one line says it.
    const seen = new Set<string>();
    const once = problems.filter((p) => !seen.has(`${p.line}:${p.message}`) && seen.add(`${p.line}:${p.message}`));
    throw new ValidationError(code, source, capProblems(once));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ValidationError(code, source, [{ path: '', message: yamlMessage(err) }]);
  }
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  return {
    value,
    lineOf(path, needle) {
      let node: unknown = doc.contents;
      let offset: number | undefined = (doc.contents as Node | null)?.range?.[0];
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
          if (!pair) break;
          offset = (pair.key as Node).range?.[0] ?? offset;
          node = pair.value;
        } else if (isSeq(node) && typeof key === 'number') {
          const item = node.items[key] as Node | undefined;
          if (!item) break;
          offset = item.range?.[0] ?? offset;
          node = item;
        } else {
          break;
        }
      }
      if (needle && node && (node as Node).range) {
        const [start, end] = (node as Node).range as [number, number, number];
        const at = text.indexOf(needle, start);
        if (at >= 0 && at < end) return lineAt(at);
      }
      return offset === undefined ? undefined : lineAt(offset);
    },
  };
}

/**
 * `subject: Breaking: the bridge closes` reads as a field inside a field, because a colon and a
 * space start one: the fix is quoting the text, so say that with the line as it should be.
 */
function colonInValueMessage(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  const line = text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
  const m = /^(\s*(?:-\s+)?)([^\s:#][^:#]*?):\s+(.+?)\s*$/.exec(line);
  const advice = 'a colon followed by a space inside a value starts a new field: put the text in quotes';
  if (!m) return `YAML: ${advice}`;
  const quoted = JSON.stringify(m[3] as string);
  return `YAML: ${advice}, e.g. ${(m[2] as string).trim()}: ${quoted}`;
}

/**
 * The parser's message, without the position it appends (we give the line separately). Junk
 * nested thousands deep exhausts the parser's stack; say that in the editor's words.
 */
function yamlMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError || /Maximum call stack size exceeded/.test(message)) {
    return 'YAML: nested too deeply to read (lists or maps inside one another thousands of levels deep)';
  }
  return `YAML: ${message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')}`;
}

/** Keeps the first {@link MAX_PROBLEMS} problems and says how many more there were. */
export function capProblems(problems: InputProblem[]): InputProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    { path: '', message: `… and ${problems.length - MAX_PROBLEMS} more problems` },
  ];
}

/** `watching[0].image.alt` → `['watching', 0, 'image', 'alt']` (the inverse of formatPath). */
export function parsePath(path: string): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) keys.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return keys;
}
