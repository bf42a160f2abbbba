/**
 * Streams the records of a CSV file with the line each starts on, refusing what is not a CSV
 * text file: invalid UTF-8, NUL bytes (binary data, UTF-16), unterminated quotes, stray quotes.
 * Memory stays flat: one chunk and its records at a time, and no record may exceed
 * {@link MAX_RECORD_BYTES} (an unterminated quote would otherwise swallow the rest of the file).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type CsvError, type Options } from 'csv-parse';
import { NewsdeskError } from '../domain/errors.ts';

/** Far above any real row (50 attributes of 1000 characters); small enough to stop a runaway quote early. */
export const MAX_RECORD_BYTES = 128 * 1024;

/** The file is not a readable CSV; `line` is where the trouble starts. Nothing has been written. */
export class CsvFormatError extends NewsdeskError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super('csv_malformed', `${file}: line ${line}: ${reason}`);
  }
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line the record starts on. */
  line: number;
}

const NEWLINE = 0x0a;

function countNewlines(buf: Buffer, end = buf.length): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1 && i < end; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** Offset of the first byte that breaks UTF-8 in `buf`, or -1; an incomplete sequence at the end is not an error. */
function utf8ErrorOffset(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= buf.length) return -1;
      if (((buf[i + k] as number) & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Passes bytes through unchanged after checking they are UTF-8 text without NUL bytes. */
class TextCheck extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private lines = 1;
  private tail = Buffer.alloc(0);

  constructor(
    private readonly file: string,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const nul = chunk.indexOf(0);
    if (nul !== -1) {
      return done(this.fail(chunk, nul, 'binary data (a NUL byte): not a CSV text file; UTF-16 files must be saved as UTF-8'));
    }
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      // Rare path: find where it broke, counting the previous chunk's unfinished character.
      const joined = Buffer.concat([this.tail, chunk]);
      const at = Math.max(0, utf8ErrorOffset(joined) - this.tail.length);
      return done(this.fail(chunk, at, `not UTF-8 text (byte 0x${(chunk[at] ?? 0).toString(16).padStart(2, '0')}): save the file as UTF-8 CSV`));
    }
    // Keep the last few bytes from a character boundary, in case the next chunk continues a character.
    let start = Math.max(0, chunk.length - 3);
    while (start < chunk.length && ((chunk[start] as number) & 0xc0) === 0x80) start++;
    this.tail = Buffer.from(chunk.subarray(start));
    this.lines += countNewlines(chunk);
    this.onBytes(chunk.length);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.decode();
      done();
    } catch {
      done(new CsvFormatError(this.file, this.lines, 'not UTF-8 text: the file ends in the middle of a character'));
    }
  }

  private fail(chunk: Buffer, offset: number, reason: string): CsvFormatError {
    return new CsvFormatError(this.file, this.lines + countNewlines(chunk, offset), reason);
  }
}

const LINE_BREAK = /\r\n|\r|\n/g;

function csvErrorReason(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (unterminated quote)';
    case 'CSV_MAX_RECORD_SIZE':
      return `a record longer than ${MAX_RECORD_BYTES / 1024} KB starts here: most likely a quote that is never closed`;
    case 'INVALID_OPENING_QUOTE':
      return 'a quote inside an unquoted field: quote the whole field and double the inner quotes ("say ""hi""")';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'text after a closing quote: quote the whole field and double the inner quotes ("say ""hi""")';
    default:
      return err.message;
  }
}

/**
 * csv-parse with line numbers, handing records on in arrays (one per chunk read) so the consumer
 * pays for one async step per chunk, not per record.
 *
 * csv-parse pushes each record synchronously as it finishes parsing it, so counting the line
 * breaks in the record's raw text here keeps `line` exact for the record being parsed when an
 * error strikes. (csv-parse's own `on_record` hook would do the same, but builds an info object
 * per record, which costs more than the parsing.)
 */
class LineCountingParser extends Parser {
  line = 1;
  private pending: CsvRecord[] = [];

  constructor(delimiter: CsvDelimiter) {
    // One array of records may wait to be read, not the stream default of 16: memory stays flat.
    super({ bom: true, raw: true, delimiter, relax_column_count: true, max_record_size: MAX_RECORD_BYTES, readableHighWaterMark: 1 } as Options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      this.pushPending();
      return super.push(null, encoding);
    }
    const { record, raw } = chunk as { record: string[]; raw: string };
    const start = this.line;
    this.line += raw.match(LINE_BREAK)?.length ?? 0;
    if (!record.every((f) => f.trim() === '')) this.pending.push({ fields: record, line: start });
    return true;
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, done: TransformCallback): void {
    super._transform(chunk, encoding, (err?: Error | null) => {
      if (!err) this.pushPending();
      done(err);
    });
  }

  private pushPending(): void {
    if (!this.pending.length) return;
    super.push(this.pending);
    this.pending = [];
  }
}

/** The field separators newsdesk reads: the comma, and the semicolon spreadsheets write in many locales. */
export type CsvDelimiter = ',' | ';';

/**
 * The separator of a CSV file, judged by its first line: `;` when it has more semicolons than
 * commas outside quotes (a spreadsheet in a locale whose decimal mark is the comma), else `,`.
 * @throws NewsdeskError `file_unreadable` when the file cannot be opened.
 */
export async function sniffDelimiter(file: string): Promise<CsvDelimiter> {
  let head: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NewsdeskError('file_unreadable', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const firstLine = (head.toString('utf8').split(/\r\n|\r|\n/)[0] ?? '').replace(/"[^"]*"/g, '');
  const count = (c: string) => firstLine.split(c).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

/**
 * Reads `file`, a chunk's worth of records at a time. Blank lines are skipped.
 * @param onBytes called with each chunk's size as it is read (progress).
 * @param delimiter the field separator (see {@link sniffDelimiter}). Default `,`.
 * @throws CsvFormatError naming the line; NewsdeskError `file_unreadable` when the file cannot be opened.
 */
export async function* readCsv(file: string, onBytes: (n: number) => void = () => {}, delimiter: CsvDelimiter = ','): AsyncGenerator<CsvRecord[]> {
  const parser = new LineCountingParser(delimiter);
  const source = createReadStream(file, { highWaterMark: 256 * 1024 });
  const flowing = pipeline(source, new TextCheck(file, onBytes), parser);
  // The for-await below sees the same error through the parser; this only keeps it from going unhandled.
  flowing.catch(() => {});
  try {
    for await (const records of parser as AsyncIterable<CsvRecord[]>) yield records;
    await flowing;
  } catch (err) {
    if (err instanceof CsvFormatError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^(CSV_|INVALID_)/.test(code)) throw new CsvFormatError(file, parser.line, csvErrorReason(err as CsvError));
    if ((err as NodeJS.ErrnoException).syscall) {
      throw new NewsdeskError('file_unreadable', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    throw err;
  } finally {
    source.destroy();
  }
}
