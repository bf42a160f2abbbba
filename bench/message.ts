/**
 * How fast one core turns a campaign into personalized raw messages (not a test: it prints).
 *
 *   npx tsx bench/message.ts [--n 100000] [--dkim] [--tracking off|aggregate|per-reader]
 *   npx tsx bench/message.ts --n 2000 --send smtp://127.0.0.1:2525 [--client both|newsdesk|nodemailer]
 *       [--connections 8] [--send-n 20000] [--rounds 3] [--smtp-source]
 *
 * Builds a realistic ~40 KB daily-briefing HTML with MJML (once, as the composer will), then
 * renders N messages for N different recipients and reports messages/s and MB/s. `--dkim`
 * also signs every message (RSA-2048).
 *
 * `--send` then pushes pre-rendered messages through the SMTP adapter to a server such as
 * Postfix's sink (`smtp-sink -u root 127.0.0.1:2525 1000`), with each client in turn, `--rounds`
 * times, and prints messages/s and CPU µs per message in this process (signing included with
 * `--dkim`, rendering not). `--smtp-source` adds Postfix's own generator sending messages of the
 * same size over as many connections: the ceiling of the machine (it does not pipeline). The
 * machine is shared, so read the ranges, not one figure.
 *
 * `--tracking` renders the example edition (examples/editions/2025-02-13.yaml) compiled by the
 * composer, with its links rewritten for that click-tracking mode as a campaign does; run it once
 * per mode to compare (per reader, each message also signs its reader mark, as the preparer does).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs, promisify } from 'node:util';
import mjml2html from 'mjml';
import type { CompiledEmail, Recipient, Template, Slot } from '../src/domain/compiled-email.ts';
import { Newsletter } from '../src/domain/newsletter.schema.ts';
import { compile } from '../src/composer/compile.ts';
import { trackLinks } from '../src/composer/link-tracking.ts';
import { createClickSigner } from '../src/domain/click-links.ts';
import { ClickTracking } from '../src/domain/tracking.schema.ts';
import { dailyNewsletter, exampleEdition } from '../test/support/editions.ts';
import { createReturnAddresser } from '../src/domain/return-token.ts';
import { prepareCampaignMessage } from '../src/mail/campaign-message.ts';
import { createDkimSigner } from '../src/mail/dkim.ts';
import { createSmtpTransport, type SmtpClientKind } from '../src/mail/smtp.transport.ts';
import type { OutgoingMessage } from '../src/mail/transport.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dkim: { type: 'boolean', default: false },
    send: { type: 'string' },
    connections: { type: 'string', default: '8' },
    'send-n': { type: 'string', default: '20000' },
    client: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '3' },
    'smtp-source': { type: 'boolean', default: false },
    tracking: { type: 'string' },
  },
});
const tracking = args.tracking === undefined ? undefined : ClickTracking.parse(args.tracking);
const clickSigner = createClickSigner({ publicUrl: 'https://briefing.example.com', secrets: ['bench-secret-'.repeat(4)] });
const BENCH_CAMPAIGN = 'daily-2025-02-13-bench0';
const n = Number(args.n);

/** `%%token%%` markers → a Template, as the composer splits its rendered output. */
function toTemplate(source: string): Template {
  const pieces = source.split(/%%(firstName|email|unsubscribeUrl|viewUrl)%%/);
  return { parts: pieces.filter((_, i) => i % 2 === 0), slots: pieces.filter((_, i) => i % 2 === 1) as Slot[] };
}

const story = (i: number) => `
  <mj-section padding="8px 24px"><mj-column>
    <mj-text font-size="18px" font-weight="700" color="#111111">${i}. Council votes on the riverside plan — what changes for commuters</mj-text>
    <mj-text font-size="15px" line-height="24px" color="#333333">The city council voted 7–2 on Tuesday night to approve the €48m riverside
      redevelopment, ending a two-year fight over the old freight yards. Supporters say the plan adds 1,200 homes and a new
      tram stop; opponents worry about flooding and rents. Here is what happens next, and when you will notice it.</mj-text>
    <mj-button href="https://briefing.example.com/s/${i}?utm_source=newsletter&amp;utm_campaign=daily" background-color="#c8102e" align="left">Read more</mj-button>
  </mj-column></mj-section>`;

const mjmlSource = `<mjml><mj-head><mj-title>The Daily Briefing</mj-title><mj-preview>What we are watching today</mj-preview>
  <mj-attributes><mj-all font-family="Georgia, serif" /></mj-attributes></mj-head><mj-body background-color="#f4f4f4">
  <mj-section background-color="#ffffff"><mj-column>
    <mj-image src="https://briefing.example.com/logo.png" alt="The Daily Briefing" width="180px" />
    <mj-text font-size="16px">Good morning, %%firstName%%. Here is what we are watching on Thursday, 13 February.</mj-text>
    <mj-text font-size="12px"><a href="%%viewUrl%%">View in your browser</a></mj-text>
  </mj-column></mj-section>
  <mj-section background-color="#ffffff"><mj-column>
    <mj-image src="https://briefing.example.com/img/lead.jpg" alt="The riverside freight yards at dawn" />
    <mj-text font-size="12px" color="#666666">The old freight yards at dawn. Photo: A. Photographer</mj-text>
  </mj-column></mj-section>
  ${Array.from({ length: 8 }, (_, i) => story(i + 1)).join('\n')}
  <mj-section background-color="#fff7e6"><mj-column>
    <mj-text font-size="40px" font-weight="700">10,000</mj-text>
    <mj-text>The number of trees the city promises to plant along the river by 2030.</mj-text>
  </mj-column></mj-section>
  <mj-section background-color="#eeeeee"><mj-column>
    <mj-text font-size="11px" color="#666666">SPONSORED · Brought to you by Example Bank. Savings that grow.</mj-text>
  </mj-column></mj-section>
  <mj-section><mj-column>
    <mj-text font-size="11px" color="#666666">You get this because you subscribed as %%email%%.
      <a href="%%unsubscribeUrl%%">Unsubscribe</a> · The Daily Briefing, 1 Press Row, Springfield</mj-text>
  </mj-column></mj-section>
</mj-body></mjml>`;

const { html } = await mjml2html(mjmlSource, { validationLevel: 'soft' });
const text = `Good morning, %%firstName%%.\n\n${Array.from({ length: 8 }, (_, i) => `${i + 1}. Council votes on the riverside plan\nhttps://briefing.example.com/s/${i + 1}\n`).join('\n')}\nView in your browser: %%viewUrl%%\nUnsubscribe: %%unsubscribeUrl%%\n`;

const synthetic: CompiledEmail = {
  newsletterId: 'daily',
  editionDate: '2025-02-13',
  subject: toTemplate('%%firstName%%, the council said yes to the riverside plan — and 10,000 trees'),
  preheader: 'What we are watching today',
  html: toTemplate(html),
  text: toTemplate(text),
  greetingFallback: 'there',
  compiledAt: new Date().toISOString(),
};
const syntheticNewsletter = Newsletter.parse({
  id: 'daily',
  name: 'The Daily Briefing',
  from: { name: 'The Daily Briefing', address: 'news@briefing.example.com' },
  postalAddress: '1 Press Row, Springfield',
  website: 'https://briefing.example.com',
});
const newsletter = tracking ? dailyNewsletter() : syntheticNewsletter;
const compiled: CompiledEmail = tracking
  ? trackLinks(await compile(exampleEdition(), newsletter), { campaignId: BENCH_CAMPAIGN, tracking: { clicks: tracking, opens: 'off' }, signer: clickSigner }).compiled
  : synthetic;
const names = ['Ada Lovelace', 'Zoë Ångström', undefined, 'José Núñez', 'Grace Hopper'];
const recipientAt = (i: number): Recipient => ({
  email: `reader${i}@inbox.example.org`,
  name: names[i % names.length],
  unsubscribeUrl: `https://briefing.example.com/u/eyJzIjo${i.toString(36)}fQ.Zm9vYmFyYmF6cXV4cXV1eHh5enp5`,
  viewUrl: `https://briefing.example.com/v/eyJzIjo${i.toString(36)}fQ.YmF6cXV4Zm9vYmFy`,
  ...(tracking === 'per-reader' ? { readerMark: clickSigner.readerMark(BENCH_CAMPAIGN, i + 1) } : {}),
});

const t0 = performance.now();
const message = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'bench', listId: 'main' } });
const prepareMs = performance.now() - t0;
const signer = args.dkim
  ? createDkimSigner({
      domain: 'briefing.example.com',
      selector: 'bench',
      privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    })
  : undefined;

if (tracking) console.log(`example edition, tracking ${tracking}`);
const htmlBytes = compiled.html.parts.reduce((sum, p) => sum + p.length, 0);
const textBytes = compiled.text.parts.reduce((sum, p) => sum + p.length, 0);
console.log(`html ${(htmlBytes / 1024).toFixed(1)} KB with ${compiled.html.slots.length} slots; text ${(textBytes / 1024).toFixed(1)} KB; prepare ${prepareMs.toFixed(1)} ms`);

// Warm up, then measure.
for (let i = 0; i < 2_000; i++) message.render(recipientAt(i));
let bytes = 0;
const renderCpu = process.cpuUsage();
const start = performance.now();
for (let i = 0; i < n; i++) {
  let raw = message.render(recipientAt(i)).raw;
  if (signer) raw = signer.sign(raw);
  bytes += raw.length;
}
const seconds = (performance.now() - start) / 1000;
const cpuUsed = process.cpuUsage(renderCpu);
console.log(
  `rendered${signer ? ' + DKIM-signed' : ''} ${n.toLocaleString('en')} messages of ${(bytes / n / 1024).toFixed(1)} KB in ${seconds.toFixed(2)} s: ` +
    `${Math.round(n / seconds).toLocaleString('en')} msg/s, ${(bytes / seconds / 1e6).toFixed(0)} MB/s, ${((seconds / n) * 1e6).toFixed(1)} µs/msg ` +
    `(${((cpuUsed.user + cpuUsed.system) / n).toFixed(1)} µs CPU/msg, one core)`,
);

// The send path's real per-message work also signs two return addresses (VERP envelope sender and
// the List-Unsubscribe mailto): the same loop with them, so their cost shows beside the above.
{
  const returns = createReturnAddresser({ secrets: ['bench-secret-bench-secret-bench-secret'] }).forCampaign('daily-2025-02-13', 'briefing.example.com');
  const withReturns = (i: number) =>
    message.render(recipientAt(i), {
      messageIdLocal: `bench.${i + 1}`,
      returnPath: returns.bounceAddress(i + 1),
      unsubscribeAddress: returns.unsubscribeAddress(i + 1),
    });
  for (let i = 0; i < 2_000; i++) withReturns(i);
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) withReturns(i);
  const s = (performance.now() - t) / 1000;
  const c = process.cpuUsage(cpu);
  console.log(
    `with per-delivery return addresses (2 signed tokens): ${Math.round(n / s).toLocaleString('en')} msg/s, ${((s / n) * 1e6).toFixed(1)} µs/msg ` +
      `(${((c.user + c.system) / n).toFixed(1)} µs CPU/msg, one core)`,
  );
}

if (args.send) {
  const url = args.send;
  const sendN = Number(args['send-n']);
  const connections = Number(args.connections);
  if (!['both', 'newsdesk', 'nodemailer'].includes(args.client)) throw new Error(`--client must be both, newsdesk or nodemailer, got ${args.client}`);
  const clients: SmtpClientKind[] = args.client === 'both' ? ['newsdesk', 'nodemailer'] : [args.client as SmtpClientKind];
  // Rendering is measured above; here messages are ready, as the send worker hands them over.
  const ready: OutgoingMessage[] = Array.from({ length: 500 }, (_, i) => message.render(recipientAt(i)));
  const size = Math.round(ready.reduce((sum, m) => sum + m.raw.length, 0) / ready.length);
  const results = new Map<string, { rate: number; cpu?: number }[]>();
  const record = (name: string, rate: number, cpu?: number) => results.set(name, [...(results.get(name) ?? []), { rate, cpu }]);

  /** Sends `count` messages through one client, `connections × 4` at a time as a worker would. */
  const run = async (client: SmtpClientKind, count: number) => {
    const transport = createSmtpTransport({ url, client, poolSize: connections, dkim: signer });
    await transport.verify();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    let next = 0;
    let failed = 0;
    const lane = async () => {
      while (next < count) {
        const outcome = await transport.send(ready[next++ % ready.length] as OutgoingMessage);
        if (outcome.status !== 'sent') failed++;
      }
    };
    await Promise.all(Array.from({ length: connections * 4 }, lane));
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    await transport.close();
    return { rate: count / seconds, cpu: (cpu.user + cpu.system) / count, failed };
  };

  /** Postfix's smtp-source: same count, size and sessions; its CPU from the shell's `times`. */
  const smtpSource = async () => {
    const target = new URL(url);
    const start = performance.now();
    const { stdout } = await promisify(execFile)('bash', [
      '-c',
      `/usr/sbin/smtp-source -d -s ${connections} -m ${sendN} -l ${size} -f news@briefing.example.com -t reader@inbox.example.org ${target.hostname}:${target.port} && times`,
    ]);
    const seconds = (performance.now() - start) / 1000;
    // `times` prints the shell's, then its children's, user and system time: `0m1.234s 0m0.567s`.
    const child = stdout.trim().split('\n').pop() ?? '';
    const cpuSeconds = [...child.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
    return { rate: sendN / seconds, cpu: (cpuSeconds * 1e6) / sendN };
  };

  console.log(`sending ${sendN.toLocaleString('en')} messages of ${(size / 1024).toFixed(1)} KB over ${connections} connections to ${url}${signer ? ', DKIM-signed' : ''}, ${args.rounds} rounds`);
  for (const client of clients) await run(client, 1_000); // warm up the JIT and the server
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const client of clients) {
      const r = await run(client, sendN);
      record(client, r.rate, r.cpu);
      console.log(`  round ${round} ${client.padEnd(10)} ${Math.round(r.rate).toLocaleString('en').padStart(6)} msg/s  ${r.cpu.toFixed(0).padStart(5)} µs CPU/msg${r.failed ? `  ${r.failed} FAILED` : ''}`);
    }
    if (args['smtp-source']) {
      const r = await smtpSource();
      record('smtp-source', r.rate, r.cpu);
      console.log(`  round ${round} ${'smtp-source'.padEnd(10)} ${Math.round(r.rate).toLocaleString('en').padStart(6)} msg/s  ${r.cpu.toFixed(0).padStart(5)} µs CPU/msg (Postfix, no pipelining)`);
    }
  }
  const range = (values: number[], digits = 0) => {
    const lo = Math.min(...values).toFixed(digits);
    const hi = Math.max(...values).toFixed(digits);
    return lo === hi ? lo : `${lo}–${hi}`;
  };
  for (const [name, runs] of results) {
    const cpu = runs.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu]));
    console.log(`${name}: ${range(runs.map((r) => r.rate))} msg/s, ${range(cpu)} µs CPU/msg`);
  }
}
