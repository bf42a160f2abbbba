/**
 * Return-mail reading benchmark (not a test: it prints figures).
 *
 *   npx tsx bench/return-mail.ts [--n 2000]
 *
 * CPU per `readReturnMail` (parse, classify, find the token) for each sample in
 * test/fixtures/bounces/, as each would arrive over SMTP (CRLF line ends), with the default
 * reader (the light MIME reader of src/mail/plain-mime.ts where it applies, mailparser
 * otherwise) and with mailparser alone. `light` marks the samples the light reader takes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readPlainMime } from '../src/mail/plain-mime.ts';
import { type ReadReturnMailOptions, readReturnMail } from '../src/mail/return-mail.ts';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '2000' } } });
const n = Number(args.n);
const dir = 'test/fixtures/bounces';
const options: ReadReturnMailOptions = { source: 'smtp', rcpt: 'feedback@news.example.com', feedbackAddresses: ['feedback@news.example.com'] };

/** CPU µs per call, after a warm-up. */
async function cpuPerRead(raw: Buffer, parser: 'auto' | 'mailparser', times: number): Promise<number> {
  for (let i = 0; i < Math.min(200, times); i++) await readReturnMail(raw, { ...options, parser });
  const before = process.cpuUsage();
  for (let i = 0; i < times; i++) await readReturnMail(raw, { ...options, parser });
  const used = process.cpuUsage(before);
  return (used.user + used.system) / times;
}

const rows: string[] = [];
let sumAuto = 0;
let sumSlow = 0;
const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
for (const file of files) {
  const raw = Buffer.from(readFileSync(join(dir, file), 'latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  const times = Math.max(50, Math.round(n / 10));
  const slow = await cpuPerRead(raw, 'mailparser', times);
  const auto = await cpuPerRead(raw, 'auto', times);
  sumAuto += auto;
  sumSlow += slow;
  const light = readPlainMime(raw.toString('latin1')) !== undefined;
  rows.push(`${file.padEnd(42)} ${light ? 'light' : '     '} ${slow.toFixed(0).padStart(6)} → ${auto.toFixed(0).padStart(5)} µs`);
}
console.log(rows.join('\n'));
console.log(`mean over ${files.length} samples: ${(sumSlow / files.length).toFixed(0)} µs with mailparser alone → ${(sumAuto / files.length).toFixed(0)} µs by default (CPU per readReturnMail)`);
const bench = Buffer.from(readFileSync(join(dir, 'rb-sisimai__postfix-14.eml'), 'latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
const slow = await cpuPerRead(bench, 'mailparser', n);
const auto = await cpuPerRead(bench, 'auto', n);
console.log(`bench/inbound.ts's sample (rb-sisimai__postfix-14.eml), ${n.toLocaleString('en-US')} reads: ${slow.toFixed(0)} µs with mailparser alone → ${auto.toFixed(0)} µs by default`);
