/**
 * What DKIM signing costs per message, stage by stage (not a test: it prints figures).
 *
 *   npx tsx bench/dkim.ts [--n 2000] [--ed25519] [--threads 1,2] [--json]
 *
 * The message is the example edition (examples/editions/2025-02-13.yaml) as `bench/send.ts`
 * sends it (aggregate click tracking), rendered for 200 different readers. For each stage of
 * `src/mail/dkim.ts` it prints CPU µs per message on this thread (process.cpuUsage) and wall
 * µs: splitting head and body, relaxed body canonicalization, the body's SHA-256, relaxed header
 * canonicalization, the RSA-2048 signature (and Ed25519 with --ed25519), the whole `fields()`
 * and `sign()`; for comparison what an RSA signature costs when the key is parsed from PEM
 * every time. When the message brings its body hash (`OutgoingMessage.relaxedBodyHash`, made
 * from the campaign’s pieces), that hash and `fields()` given it are timed too, as the
 * send path signs. Then the whole signing through `createDkimPool` with 1 and 2 threads
 * (`--threads`), as the send path does it (`signFields`: fields and message apart, not copied
 * together): messages/s, and CPU µs per message of the whole
 * process (every thread, the body hash on the calling thread included).
 *
 * The machine is shared: read CPU µs rather than wall, and run it more than once.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { parseArgs } from 'node:util';
import { composeEditionFile } from '../src/composer/compose-edition.ts';
import { newsletterDirs } from '../src/composer/newsletter.loader.ts';
import { prepareCampaignMessage } from '../src/mail/campaign-message.ts';
import { canonicalHeaders, createDkimSigner, relaxedBody, splitMessage } from '../src/mail/dkim.ts';
import { createDkimPool } from '../src/mail/dkim-pool.ts';
import { verifyDkim } from '../test/support/dkim.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    ed25519: { type: 'boolean', default: false },
    threads: { type: 'string', default: '1,2' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(args.n);
const say = (line: string) => process.stderr.write(`${line}\n`);

const composed = await composeEditionFile('examples/editions/2025-02-13.yaml', { newsletterDirs: newsletterDirs('newsletters') });
const newsletter = { ...composed.newsletter, tracking: { ...composed.newsletter.tracking, clicks: 'aggregate' as const } };
const message = prepareCampaignMessage({ compiled: composed.compiled, newsletter, campaign: { id: 'bench', listId: 'bench' } });
const readers = 200;
const rendered = Array.from({ length: readers }, (_, i) =>
  message.render({
    email: `r${i + 1}@bench.example.org`,
    name: `Reader ${i + 1}`,
    unsubscribeUrl: `https://briefing.example.com/u/${i.toString(36).padStart(46, 'x')}`,
    viewUrl: `https://briefing.example.com/v/${i.toString(36).padStart(46, 'x')}`,
  }),
);
const raws = rendered.map((m) => m.raw);
// The body hash as the send path gets it.
const givenHash = (i: number): string | undefined => rendered[i % readers]?.relaxedBodyHash?.();
const hashes = rendered.map((_, i) => givenHash(i));
const sample = raws[0] as Buffer;
const { body: sampleBody } = splitMessage(sample);
const canonicalSample = Buffer.from(relaxedBody(sampleBody));

const domain = 'bench.example.org';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ed = args.ed25519 ? generateKeyPairSync('ed25519') : undefined;
const options = {
  domain,
  selector: 'bench',
  privateKey: rsaPem,
  ed25519: ed ? { selector: 'bench-ed', privateKey: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } : undefined,
};
const keys = [{ publicKey: rsa.publicKey, selector: 'bench', domain }, ...(ed ? [{ publicKey: ed.publicKey, selector: 'bench-ed', domain }] : [])];
const signer = createDkimSigner(options);

// Every figure below is only worth reading if what is timed still signs correctly: signed with
// the body canonicalized here and with the hash the message brings, both must pass mailauth.
for (const signed of [signer.sign(sample), signer.sign(sample, rendered[0]?.relaxedBodyHash?.())]) {
  const verified = await verifyDkim(signed, keys);
  if (verified.length !== keys.length || verified.some((r) => r.status.result !== 'pass')) throw new Error(`bench: the sample does not verify: ${JSON.stringify(verified.map((r) => r.status))}`);
}

interface Stage {
  cpuMicros: number;
  wallMicros: number;
}

/** Runs `f` n times after a warm-up; CPU and wall µs per call. */
function time(count: number, f: (i: number) => unknown): Stage {
  for (let i = 0; i < Math.min(count, 300); i++) f(i);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) f(i);
  const wallMicros = ((performance.now() - t0) * 1000) / count;
  const used = process.cpuUsage(cpu);
  return { cpuMicros: Number(((used.user + used.system) / count).toFixed(1)), wallMicros: Number(wallMicros.toFixed(1)) };
}

const scratch = Buffer.allocUnsafe(sampleBody.length * 2);
const heads = raws.map((raw) => splitMessage(raw).head);
const bodies = raws.map((raw) => splitMessage(raw).body);
// The RSA input as fields() builds it: the canonical headers and the unsigned DKIM-Signature field.
const signedData = Buffer.from(`${canonicalHeaders(heads[0] as string).canonical}dkim-signature:v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; s=bench; t=1700000000; h=${canonicalHeaders(heads[0] as string).names.join(':')}; bh=${'x'.repeat(44)}; b=`, 'latin1');

const sampleFields = signer.fields(sample);

const stages: Record<string, Stage> = {
  'split head and body': time(n, (i) => splitMessage(raws[i % readers] as Buffer)),
  'relaxed body canonicalization': time(n, (i) => relaxedBody(bodies[i % readers] as Buffer, scratch)),
  'body SHA-256 (of the canonical body)': time(n, () => createHash('sha256').update(canonicalSample).digest('base64')),
  'relaxed header canonicalization': time(n, (i) => canonicalHeaders(heads[i % readers] as string)),
  'RSA-2048 signature (KeyObject made once)': time(n, () => sign('sha256', signedData, rsa.privateKey)),
  'RSA-2048 signature, key parsed from PEM each time': time(Math.ceil(n / 4), () => sign('sha256', signedData, createPrivateKey(rsaPem))),
  ...(ed ? { 'Ed25519 signature': time(n, () => sign(null, createHash('sha256').update(signedData).digest(), ed.privateKey)) } : {}),
  'fields() (the whole signature)': time(n, (i) => signer.fields(raws[i % readers] as Buffer)),
  'sign() (fields() and the copy with the message)': time(n, (i) => signer.sign(raws[i % readers] as Buffer)),
  'the copy alone (Buffer.concat of fields and message)': time(n, (i) => Buffer.concat([sampleFields, raws[i % readers] as Buffer])),
  ...(hashes[0] === undefined
    ? {}
    : {
        'body hash from the campaign’s pieces (relaxedBodyHash)': time(n, (i) => givenHash(i)),
        'fields() given that body hash': time(n, (i) => signer.fields(raws[i % readers] as Buffer, hashes[i % readers])),
      }),
};

/** Signs n copies through a pool of `threads`, 16 in flight (what two connections × 8 keep busy). */
async function throughPool(threads: number) {
  const pool = createDkimPool(options, { threads });
  try {
    // Warm up every thread (key loaded, code compiled) before the clock starts.
    await Promise.all(Array.from({ length: 200 * threads }, (_, i) => pool.sign(Buffer.from(raws[i % readers] as Buffer))));
    // The pool takes the caller's buffer: one fresh copy per message, made before the clock.
    const copies = Array.from({ length: n }, (_, i) => Buffer.from(raws[i % readers] as Buffer));
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < n) {
        const i = next++;
        await pool.signFields(copies[i] as Buffer, givenHash(i));
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    return { threads, messagesPerSecond: Math.round(n / seconds), cpuMicrosPerMessage: Number(((used.user + used.system) / n).toFixed(1)) };
  } finally {
    await pool.close();
  }
}
const pools = [];
for (const threads of args.threads.split(',').filter(Boolean).map(Number)) pools.push(await throughPool(threads));

const result = {
  messageBytes: sample.length,
  bodyBytes: sampleBody.length,
  canonicalBodyBytes: canonicalSample.length,
  algorithms: ed ? 'rsa-sha256+ed25519-sha256' : 'rsa-sha256',
  messages: n,
  stages,
  inlineMessagesPerSecond: Math.round(1e6 / ((stages['fields() given that body hash'] ?? stages['fields() (the whole signature)']) as Stage).wallMicros),
  pools,
};
if (args.json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  say(`example edition: ${sample.length} B message, ${sampleBody.length} B body (${canonicalSample.length} B canonical), ${result.algorithms}, ${n} messages`);
  for (const [name, s] of Object.entries(stages)) say(`${name.padEnd(52)} ${String(s.cpuMicros).padStart(8)} µs CPU ${String(s.wallMicros).padStart(8)} µs wall`);
  say(`inline, one thread: ${result.inlineMessagesPerSecond} msg/s`);
  for (const p of pools) say(`pool of ${p.threads}: ${p.messagesPerSecond} msg/s, ${p.cpuMicrosPerMessage} µs CPU per message (all threads)`);
}
