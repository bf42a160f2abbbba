import { describe, expect, it } from 'vitest';
import { type CompactEntry, decodeBucket, encodeBucket, type LedgerFormat, MAX_TEMPLATES, TAG_QUEUED, TAG_SENT, TemplateTable } from '../../src/store/ledger-codec.ts';
import { shapeReply } from '../../src/store/ledger-shapes.ts';
import { REPLY_STYLES, type ReplyStyle } from '../support/ledger-fixtures.ts';

/** Real servers' replies to a message they took, with the ms they took it at (from the reply when it says). */
const SAMPLES: [server: string, reply: string, at: number][] = [
  ['SES us-east-1', '250 Ok 010001870dbae81e-35118332-f389-474c-8b37-69ce1e1934ae-000000', 0x1870dbae81e + 180],
  ['SES', '250 Ok 010001805f291096-faccf9fa-b272-4ef7-bd4b-6a072596174a-000000', 0x1805f291096 + 2],
  ['SES eu-west-1', '250 Ok 0102018c5d1d8bb5-2c9b64ad-6a4f-4b9e-8a4e-0f0c1a6e5e7f-000000', 0x18c5d1d8bb5 + 950],
  ['Gmail', '250 2.0.0 OK  1734897414 a640c23a62f3a-aac0f040f87si490882066b.477 - gsmtp', 1_734_897_414_600],
  ['Gmail', '250 2.0.0 OK  1766706777 41be03b00d2f7-c1e7c33ddd0si28057001a12.202 - gsmtp', 1_766_706_778_100],
  ['Gmail', '250 2.0.0 OK  1729197858 d9443c01a7336-20e5a75313csm564175ad.105 - gsmtp', 1_729_197_858_001],
  ['Gmail (older token)', '250 2.0.0 OK  1711967220 fb11-20020a056a002d8b00b006ecb639fa56sm1240474pfb.217 - gsmtp', 1_711_967_221_000],
  ['Gmail (short token)', '250 2.0.0 OK 1579876543 y7si1234567pjn.123 - gsmtp', 1_579_876_543_250],
  [
    'Microsoft 365',
    '250 2.6.0 <MN2PR11MB4095C5D7A1E2A0E6D3C1B5A2@MN2PR11MB4095.namprd11.prod.outlook.com> [InternalId=12094627905934, Hostname=MN2PR11MB4095.namprd11.prod.outlook.com] 18944 bytes in 0.142, 130.122 KB/sec Queued mail for delivery',
    1_764_000_000_000,
  ],
  ['Outlook.com', '250 2.6.0 <0100019ab697e802@news.example.com> [InternalId=3599182746133, Hostname=DM6NAM12HT123.eop-nam12.prod.protection.outlook.com] 9876 bytes in 0.051, 189.110 KB/sec Queued mail for delivery -> 250 2.1.5', 1_764_000_000_000],
  ['Postfix', '250 2.0.0 Ok: queued as 4F3A1B2C3D', 1_764_000_000_000],
  ['Postfix (long ids)', '250 2.0.0 Ok: queued as 4Ztdk01zgvE03', 1_764_000_000_000],
  ['Exim', '250 OK id=1tdk01-00UC07-0D', 1_764_000_000_000],
  ['Exim 4.97', '250 OK id=1rVXkq-000Ga3-2V', 1_764_000_000_000],
  ['Yahoo', '250 ok dirdel', 1_764_000_000_000],
];

/** Replies no template fits well: each must still come back byte for byte. */
const ODD: string[] = [
  '',
  '250 ok',
  '250 Nachricht angenommen – Wärme 4711',
  '250 ok | queued 77AB12',
  '250 ok \u0001 4711',
  '250 ok \u0000 4711',
  `250 ${'long reply 12345 '.repeat(40)}`,
  '250 ok 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01',
  '250 ok 9007199254740993 00000000000000000001 0007',
  '250 upper 00FF 0a0B ABC0190A8B7C6D5E abc0190a8b7c6d5e',
  '250 mixed aBc123DEF456ghi789 zz9 ZZ9',
  '250 time 1764000000 and 9999999999 and 0100019ab697e800',
  '250 2.0.0 OK  1764000000 deadbeefdeadbeefsi9zzzzzzzzzzzzz.0 - gsmtp',
];

/** A word without digits that differs for every i. */
const letters = (i: number) => [...i.toString(26)].map((c) => String.fromCharCode(97 + parseInt(c, 26))).join('');

function roundTrip(replies: readonly string[], at: (i: number) => number, format: LedgerFormat, table = new TemplateTable()) {
  const base = 1_764_000_000_000;
  const entries: CompactEntry[] = replies.map((reply, i) => ({ id: 256 + i, tag: TAG_SENT, at: at(i), reply }));
  entries.push({ id: 511, tag: TAG_QUEUED });
  const bytes = encodeBucket(entries, base, table, format);
  expect(decodeBucket(bytes, 1, base, table, format)).toEqual(entries);
  // Read back with the templates as stored in Redis.
  expect(decodeBucket(bytes, 1, base, new TemplateTable(table.takeNew()), format)).toEqual(entries);
  return bytes;
}

describe('ledger codec on real servers\' replies', () => {
  for (const format of [1, 2] as const) {
    it(`format ${format}: every sample and odd reply comes back byte for byte, sent when it says or days away`, () => {
      const all = [...SAMPLES.map((s) => s[1]), ...ODD];
      roundTrip(all, (i) => SAMPLES[i]?.[2] ?? 1_764_000_000_000, format);
      // Sent far from the times in the replies: they are no longer stored against the send time.
      roundTrip(all, (i) => (i % 2 ? 1_000_000_000_000 : 2_000_000_000_000) + i, format);
      roundTrip(all, () => 0, format);
    });
  }

  it('stores SES\'s accept time and Gmail\'s second against the send time, and keeps addresses out of templates', () => {
    const shape = (i: number) => shapeReply(SAMPLES[i]?.[1] as string, SAMPLES[i]?.[2] as number)?.key.split('\u0001')[1];
    // A group of the UUID that is all digits is a decimal: another shape, so another template.
    expect(shape(0)).toBe('m01000 d x4 x4 x4 x12 z6');
    expect(shape(1)).toBe('m01000 x8 x4 x4 x4 x12 z6');
    expect(shape(2)).toBe('m01020 x8 x4 x4 x4 x12 z6');
    expect(shape(3)).toBe('s x13 x11 r2 x10 d');
    expect(shapeReply(SAMPLES[3]?.[1] as string, 1_000_000_000_000)?.key.split('\u0001')[1]).toBe('d x13 x11 r2 x10 d');
    // Microsoft's replies quote the Message-ID: kept verbatim.
    expect(shapeReply(SAMPLES[8]?.[1] as string, 0)).toBeNull();
  });

  it('packs SES and Gmail replies into fewer bytes in format 2 than in format 1, under a few templates', () => {
    for (const style of ['ses', 'gmail'] as ReplyStyle[]) {
      const ats = Array.from({ length: 255 }, (_, i) => 1_764_000_000_000 + i * 7);
      const replies = ats.map((at, i) => REPLY_STYLES[style](256 + i, at));
      const one = roundTrip(replies, (i) => ats[i] as number, 1).length;
      const tableTwo = new TemplateTable();
      const two = roundTrip(replies, (i) => ats[i] as number, 2, tableTwo).length;
      expect(two).toBeLessThan(one * 0.8);
      expect(tableTwo.size).toBeLessThan(40);
    }
  });

  it('falls back to format 1\'s holes, then to verbatim, once shapes have used up the templates', () => {
    const table = new TemplateTable();
    // Each reply its own template in both formats (a word without digits that differs), and a
    // hole whose shape differs too (a run of hex digits, one longer each time).
    const replies = Array.from({ length: MAX_TEMPLATES + 300 }, (_, i) => `250 ${letters(i)} ${'a'.repeat(i % 50)}${i}`);
    const entries: CompactEntry[] = replies.map((reply, i) => ({ id: i + 1, tag: TAG_SENT, at: i, reply }));
    const buckets: Buffer[] = [];
    for (let b = 0; b * 256 <= entries.length; b++) buckets.push(encodeBucket(entries.filter((e) => Math.floor(e.id / 256) === b), 0, table, 2));
    // Read with the templates as stored.
    const stored = new TemplateTable(table.takeNew());
    expect(buckets.flatMap((bytes, b) => decodeBucket(bytes, b, 0, stored, 2))).toEqual(entries);
    expect(stored.size).toBe(MAX_TEMPLATES);
    let fallback = 0;
    for (let n = 1; n <= stored.size; n++) if (stored.get(n).text.endsWith('\u0001*')) fallback++;
    expect(fallback).toBe(128);
    // The last replies found no template left: their text is in the bucket as it is.
    const last = replies[replies.length - 1] as string;
    expect((buckets[buckets.length - 1] as Buffer).includes(Buffer.from(last))).toBe(true);
  });

  it('still reads a bucket written by format 1 before format 2 existed', () => {
    // Written by the format 1 encoder as it was (commit 6e61e48), with its templates.
    const bytes = Buffer.from(
      'AAIADTRadGRrMDF6Z3ZFMDMDA88PkAEAAYcNuugeSPy53xCE84mER0yEizeMac4eGTSuhgAAAAYE8C5Kht6huwaNpkDCOmLzoBdhYWMwZjA0MGY4N3NpNDkwODgyMDY2YkPdAwkFj04GMXRkazAxBjAwVUMwN8INDAawbQ8Hz4wBkJAHGZJUdAmTEgjwqwFYAA==',
      'base64',
    );
    const templates = new TemplateTable([
      [1, '250 2.0.0 Ok: queued as \u0000'],
      [2, '250 Ok \u0000-\u0000-\u0000-\u0000-\u0000-\u0000-\u0000'],
      [3, '250 2.0.0 OK  \u0000 \u0000-\u0000.\u0000 - gsmtp'],
      [4, '250 OK id=\u0000-\u0000-\u0000'],
      [5, '250 ok dirdel'],
      [6, '250 ok \u0000'],
      [7, ''],
    ]);
    const base = 1_764_000_000_000;
    const replies = [
      '250 2.0.0 Ok: queued as 4Ztdk01zgvE03',
      '250 Ok 010001870dbae81e-35118332-f389-474c-8b37-69ce1e1934ae-000000',
      '250 2.0.0 OK  1734897414 a640c23a62f3a-aac0f040f87si490882066b.477 - gsmtp',
      '250 OK id=1tdk01-00UC07-0D',
      '250 ok dirdel',
      '250 ok 9007199254740993',
      '',
    ];
    const entries: CompactEntry[] = replies.map((reply, i) => ({ id: 512 + i * 3, tag: TAG_SENT, at: base + (i % 2 ? -1 : 1) * i * 1000, reply }));
    entries.push({ id: 600, tag: TAG_QUEUED });
    expect(decodeBucket(bytes, 2, base, templates, 1)).toEqual(entries);
    // And format 1 still writes the same bytes (an erasure rewrites a bucket in its ledger's format).
    expect(encodeBucket(entries, base, new TemplateTable(), 1).equals(bytes)).toBe(true);
  });
});
