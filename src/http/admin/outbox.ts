/**
 * Reading the dev outbox folder: the newest `.eml` files with their To and Subject (from the
 * header block only, so the list stays quick), and one message parsed in full by mailparser.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';

/** Saved names look like `20250213T060000123Z-000001-a1b2c3.eml` (see src/mail/dev-outbox.ts). */
export const OUTBOX_NAME = /^[0-9TZ]+-\d{6}-[0-9a-f]{6}\.eml$/;

export interface OutboxEntry {
  name: string;
  size: number;
  savedAt: Date;
  to: string;
  subject: string;
}

/** RFC 2047 encoded words (B and Q), as newsdesk writes them in Subject and display names. */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=(\s+(?==\?))?/g, (_all, _charset: string, enc: string, text: string) => {
    const bytes = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString('utf8');
  });
}

async function headerBlock(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(16 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    return end >= 0 ? text.slice(0, end) : text;
  } finally {
    await handle.close();
  }
}

function header(block: string, name: string): string {
  const unfolded = block.replace(/\r\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return m ? decodeWords(m[1] as string).trim() : '';
}

/** The newest `limit` messages, newest first, and how many there are in all. */
export async function listOutbox(dir: string, limit = 100): Promise<{ entries: OutboxEntry[]; total: number }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => OUTBOX_NAME.test(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], total: 0 };
    throw err;
  }
  names.sort().reverse();
  const entries = await Promise.all(
    names.slice(0, limit).map(async (name) => {
      const file = join(dir, name);
      const [info, block] = await Promise.all([stat(file), headerBlock(file)]);
      return { name, size: info.size, savedAt: info.mtime, to: header(block, 'To'), subject: header(block, 'Subject') };
    }),
  );
  return { entries, total: names.length };
}

/** One message, parsed; null when there is no such file. */
export async function readOutboxMessage(dir: string, name: string): Promise<{ parsed: ParsedMail; raw: Buffer } | null> {
  if (!OUTBOX_NAME.test(name)) return null;
  let raw: Buffer;
  try {
    raw = await readFile(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return { parsed: await simpleParser(raw), raw };
}
