/**
 * CSV import into a list, in two streamed passes over the file:
 *
 * 1. check: parse everything and write nothing. A malformed file (binary data, an unterminated
 *    quote on row 900,000, no `email` column) fails here, so nothing is half-written.
 * 2. import: parse again, validate each row, and put valid rows on the list in batches, one
 *    atomic Lua call per batch. Bad rows are skipped and reported with their line and reason.
 *
 * Reading twice costs a second parse (cheap next to Redis) and keeps memory flat at any size;
 * staging a million rows into temporary keys and committing would cost Redis memory and a commit
 * that is not atomic either. Re-running an import changes nothing, so if Redis itself fails
 * mid-way, running it again completes it.
 */
import { stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { NewsdeskError, formatProblem } from '../domain/errors.ts';
import { greetingNameProblem } from '../domain/greeting-name.ts';
import { AttributeName, SubscriberInput, type Attributes } from '../domain/subscriber.schema.ts';
import { zodProblems } from '../domain/zod-problems.ts';
import { unescapeCell } from './csv-cells.ts';
import { type CsvDelimiter, CsvFormatError, readCsv, sniffDelimiter } from './csv-reader.ts';
import type { ListStore } from './list.store.ts';
import type { JoinOutcome, SubscriberStore } from './subscriber.store.ts';

export interface ImportSummary {
  /** Data rows read (blank lines not counted). */
  rows: number;
  /** Rows that joined the list: new subscribers and existing ones new to it. */
  added: number;
  /** Existing subscribers whose name or attributes changed (only with `update`). */
  updated: number;
  alreadyMember: number;
  /** Rows skipped for a bad address or a wrong number of fields. */
  invalid: number;
  /** Rows skipped because the address is suppressed, the subscriber ended, or they left this list. */
  suppressed: number;
  /** Repeats of an address seen earlier in the file. */
  duplicates: number;
  /** One entry per skipped row (invalid and suppressed), by line; capped at {@link MAX_REPORTED_ERRORS}. */
  errors: { line: number; reason: string }[];
  /** Skipped rows beyond the cap, counted but not listed. */
  errorsOmitted: number;
  /**
   * Names imported as given that would read badly in a greeting (a comma, quotes, "Last, First"),
   * by line, with what the greeting will say; capped at {@link MAX_REPORTED_ERRORS}.
   */
  nameWarnings: { line: number; reason: string }[];
  /** Name warnings beyond the cap, counted but not listed. */
  nameWarningsOmitted: number;
  /** The field separator the file was read with (`;` is detected from the header line). */
  delimiter: CsvDelimiter;
}

export interface ImportProgress {
  phase: 'checking' | 'importing';
  bytes: number;
  totalBytes: number;
}

export interface CsvImportOptions {
  subscribers: SubscriberStore;
  lists: ListStore;
  /** Rows per Redis round trip (one Lua call, which blocks Redis for ~5 ms at 250). Default: 250. */
  batchSize?: number;
  /** Told about bytes read, for a progress bar. Default: nothing. */
  onProgress?: (progress: ImportProgress) => void;
}

/** A file with a million bad rows still reports in bounded memory; counts stay exact. */
export const MAX_REPORTED_ERRORS = 10_000;

/** Columns `subscribers export` writes that are facts about the subscriber, not attributes; import ignores them. */
export const EXPORT_ONLY_COLUMNS: ReadonlySet<string> = new Set(['status', 'created_at', 'confirmed_at']);

/** Header spellings of the first and last name columns, which together fill the name. */
const FIRST_NAME_COLUMNS: ReadonlySet<string> = new Set(['first_name', 'firstname', 'first name', 'given_name']);
const LAST_NAME_COLUMNS: ReadonlySet<string> = new Set(['last_name', 'lastname', 'last name', 'surname', 'family_name']);

interface Header {
  email: number;
  name: number | undefined;
  firstName: number | undefined;
  lastName: number | undefined;
  attributes: { index: number; name: string }[];
  width: number;
}

function readHeader(file: string, fields: string[], line: number, delimiter: CsvDelimiter): Header {
  const seen = new Map<string, number>();
  let email: number | undefined;
  let name: number | undefined;
  let firstName: number | undefined;
  let lastName: number | undefined;
  const attributes: Header['attributes'] = [];
  fields.forEach((raw, index) => {
    const column = raw.trim();
    if (!column) throw new CsvFormatError(file, line, `column ${index + 1} of the header has no name`);
    const lower = column.toLowerCase();
    if (seen.has(lower)) throw new CsvFormatError(file, line, `column "${column}" appears twice in the header`);
    seen.set(lower, index);
    if (lower === 'email') email = index;
    else if (lower === 'name') name = index;
    else if (FIRST_NAME_COLUMNS.has(lower)) firstName = index;
    else if (LAST_NAME_COLUMNS.has(lower)) lastName = index;
    else if (!EXPORT_ONLY_COLUMNS.has(lower)) {
      const parsed = AttributeName.safeParse(column);
      if (!parsed.success) throw new CsvFormatError(file, line, `column "${column}": ${parsed.error.issues[0]?.message ?? 'bad name'}`);
      attributes.push({ index, name: parsed.data });
    }
  });
  if (email === undefined) {
    const separated = delimiter === ';' ? ' (the header has more ";" than ",", so the file was read as ";"-separated)' : '';
    throw new CsvFormatError(file, line, `the header has no "email" column (found: ${fields.map((f) => f.trim()).join(', ')})${separated}`);
  }
  return { email, name, firstName, lastName, attributes, width: fields.length };
}

/** A data row as a validated input, or the reason it is invalid. */
function readRow(header: Header, fields: string[]): { input: SubscriberInput } | { reason: string } {
  if (fields.length !== header.width) {
    return { reason: `has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${header.width}` };
  }
  const cell = (i: number | undefined) => (i === undefined ? '' : unescapeCell((fields[i] ?? '').trim()));
  const attributes: Attributes = {};
  for (const a of header.attributes) {
    const value = cell(a.index);
    if (value) attributes[a.name] = value;
  }
  // A "name" column wins; otherwise first and last name columns make it.
  const name = cell(header.name) || [cell(header.firstName), cell(header.lastName)].filter(Boolean).join(' ');
  const parsed = SubscriberInput.safeParse({ email: cell(header.email), ...(name ? { name } : {}), attributes });
  if (!parsed.success) {
    const quoted = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
    const reasons = zodProblems(parsed.error).map((p) => (p.path === 'email' ? `${formatProblem(p)}: ${quoted(cell(header.email))}` : formatProblem(p)));
    return { reason: reasons.join('; ') };
  }
  return { input: parsed.data };
}

function describeSkip(o: JoinOutcome): string | undefined {
  switch (o.kind) {
    case 'suppressed':
      return `address is suppressed (${o.suppression.reason} on ${o.suppression.at.slice(0, 10)})`;
    case 'ended':
      return `subscriber is ${o.status}; only their own confirmed opt-in brings them back`;
    case 'left':
      return `left this list on ${o.leftAt.toISOString().slice(0, 10)}; not re-added`;
    default:
      return undefined;
  }
}

/**
 * Imports `file` into list `target.listId`; with `target.update`, rows overwrite the name and
 * attributes of existing subscribers.
 * @throws NotFoundError for an unknown list, CsvFormatError for a malformed file (nothing written).
 */
export async function importCsv(file: string, target: { listId: string; update?: boolean }, options: CsvImportOptions): Promise<ImportSummary> {
  const { subscribers, lists } = options;
  const batchSize = options.batchSize ?? 250;
  await lists.require(target.listId);
  const delimiter = await sniffDelimiter(file);
  // Size, modification time and inode: the check pass vouches only for the file it read.
  const fingerprint = () =>
    stat(file).then(
      (s) => ({ size: s.size, key: `${s.size}:${s.mtimeMs}:${s.ino}` }),
      (err: NodeJS.ErrnoException) => {
        throw new NewsdeskError('file_unreadable', `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      },
    );
  const checked = await fingerprint();
  const totalBytes = checked.size;
  const progress = (phase: ImportProgress['phase']) => {
    let bytes = 0;
    return (n: number) => {
      bytes += n;
      options.onProgress?.({ phase, bytes, totalBytes });
    };
  };

  // Pass 1: the whole file must parse, with a usable header, before anything is written.
  let sawHeader = false;
  for await (const records of readCsv(file, progress('checking'), delimiter)) {
    const first = records[0];
    if (!sawHeader && first) readHeader(file, first.fields, first.line, delimiter);
    sawHeader = true;
  }
  if (!sawHeader) throw new CsvFormatError(file, 1, 'the file is empty; expected a header row with an "email" column');
  if ((await fingerprint()).key !== checked.key) {
    throw new NewsdeskError('file_changed', `${file} changed while it was being checked; nothing was written. Import it again once it is complete.`);
  }

  // Pass 2.
  const summary: ImportSummary = { rows: 0, added: 0, updated: 0, alreadyMember: 0, invalid: 0, suppressed: 0, duplicates: 0, errors: [], errorsOmitted: 0, nameWarnings: [], nameWarningsOmitted: 0, delimiter };
  const report = (line: number, reason: string) => {
    if (summary.errors.length < MAX_REPORTED_ERRORS) summary.errors.push({ line, reason });
    else summary.errorsOmitted++;
  };
  const runId = randomBytes(6).toString('hex');
  let batch: { input: SubscriberInput; line: number }[] = [];
  const tally = (rows: typeof batch, outcomes: JoinOutcome[]) => {
    outcomes.forEach((o, i) => {
      const line = (rows[i] as { line: number }).line;
      if (o.kind === 'created' || o.kind === 'joined') summary.added++;
      if (o.kind === 'already-member') summary.alreadyMember++;
      if ((o.kind === 'joined' || o.kind === 'already-member') && o.updated) summary.updated++;
      if (o.kind === 'duplicate') summary.duplicates++;
      const skipped = describeSkip(o);
      if (skipped) {
        summary.suppressed++;
        report(line, skipped);
      }
    });
  };
  // One batch is written while the next is parsed: Redis and the parser overlap instead of taking
  // turns. Batches still run in file order (one connection), so outcomes match a sequential run.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    const job = subscribers
      .joinList(target.listId, rows.map((r) => r.input), { via: 'import', update: !!target.update, runId })
      .then((outcomes) => tally(rows, outcomes));
    // Awaited later, but a failure must not count as unhandled while the previous batch finishes.
    job.catch(() => {});
    const previous = inFlight;
    inFlight = job;
    await previous;
  };

  let header: Header | undefined;
  try {
    for await (const records of readCsv(file, progress('importing'), delimiter)) {
      for (const record of records) {
        if (!header) {
          header = readHeader(file, record.fields, record.line, delimiter);
          continue;
        }
        summary.rows++;
        const row = readRow(header, record.fields);
        if ('reason' in row) {
          summary.invalid++;
          report(record.line, row.reason);
          continue;
        }
        const badName = greetingNameProblem(row.input.name);
        if (badName) {
          if (summary.nameWarnings.length < MAX_REPORTED_ERRORS) summary.nameWarnings.push({ line: record.line, reason: badName });
          else summary.nameWarningsOmitted++;
        }
        batch.push({ input: row.input, line: record.line });
        if (batch.length >= batchSize) await flush();
      }
    }
    await flush();
    await inFlight;
  } finally {
    await inFlight.catch(() => {});
    await subscribers.forgetImportRun(runId);
  }
  if ((await fingerprint()).key !== checked.key) {
    throw new NewsdeskError(
      'file_changed',
      `${file} changed during the import: ${summary.rows} rows were read from it, some of them perhaps from the new version. Import it again once it is complete; rows already in are not repeated.`,
    );
  }
  summary.errors.sort((a, b) => a.line - b.line);
  return summary;
}
