/**
 * Return-mail benchmark (not a test: it prints figures).
 *
 *   npx tsx bench/inbound.ts [--n 5000] [--connections 8]
 *
 * A list of N subscribers and a campaign for them in a private key prefix of the Redis at
 * REDIS_URL; `newsdesk inbound serve` in its own process on a free loopback port; then N real
 * hard-bounce reports (sisimai's Postfix 5.1.1 sample, test/fixtures/bounces/), one per
 * delivery, each to its signed VERP address, sent over `--connections` pooled SMTP connections.
 * Prints reports per second through the listener (parse, classify, verify the token, apply,
 * record) and checks every subscriber ended up bounced. Target on this 2-core machine: ≥ 500/s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { createReturnAddresser } from '../src/domain/return-token.ts';
import { freePort } from '../test/support/redis-server.ts';
import { cpuSecondsOf } from '../test/support/worker-process.ts';
import { createBenchCampaign, say, setUpBench } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '5000' }, connections: { type: 'string', default: '8' } } });
const n = Number(args.n);
const connections = Number(args.connections);

const setup = await setUpBench({ n, smtpUrl: 'smtp://127.0.0.1:1', concurrency: 1 });
let child: ChildProcess | undefined;
try {
  const campaign = await createBenchCampaign(setup, { at: new Date(Date.now() + 86_400_000) });
  const domain = setup.newsletter.from.address.split('@')[1] as string;
  const addresses = createReturnAddresser({ secrets: setup.config.secrets }).forCampaign(campaign.id, domain);
  const sample = readFileSync('test/fixtures/bounces/rb-sisimai__postfix-14.eml');

  const port = await freePort();
  child = spawn(process.execPath, ['bin/newsdesk.js', 'inbound', 'serve', '--port', String(port)], { env: setup.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const proc = child;
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('listening')) {
        clearInterval(check);
        resolve();
      } else if (proc.exitCode !== null) {
        clearInterval(check);
        reject(new Error(`inbound serve exited: ${output}`));
      }
    }, 20);
  });
  say(`bench: ${n.toLocaleString('en-US')} hard-bounce reports over ${connections} SMTP connections to newsdesk inbound serve on :${port}`);

  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: connections, maxMessages: Infinity, ignoreTLS: true });
  const cpuBefore = process.cpuUsage();
  const listenerCpuBefore = cpuSecondsOf(proc.pid as number);
  const start = performance.now();
  let next = 1;
  let refused = 0;
  const sender = async () => {
    for (let id = next++; id <= n; id = next++) {
      try {
        await transport.sendMail({ envelope: { from: '', to: [addresses.bounceAddress(id)] }, raw: sample });
      } catch {
        refused++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, sender));
  const seconds = (performance.now() - start) / 1000;
  const clientCpu = process.cpuUsage(cpuBefore);
  const listenerCpu = cpuSecondsOf(proc.pid as number) - listenerCpuBefore;
  transport.close();

  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.once('exit', resolve));
  const bounced = (await setup.app.stores.subscribers.getMany(Array.from({ length: n }, (_, i) => i + 1))).filter((s) => s?.status === 'bounced').length;
  const stats = await setup.app.returns.campaignStats(campaign.id);
  console.log(
    `inbound: ${n.toLocaleString('en-US')} reports in ${seconds.toFixed(2)} s: ${Math.round(n / seconds).toLocaleString('en-US')} reports/s ` +
      `(${connections} connections; the sending side used ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} CPU s of the same 2 cores); ` +
      `${bounced.toLocaleString('en-US')} subscribers bounced, hard bounces counted ${stats.counts.hard}, refused ${refused}`,
  );
  // Wall-clock rates on a shared machine follow its load; the listener's own CPU per report does not.
  const cpuPerReport = (listenerCpu / n) * 1e6;
  console.log(
    `listener CPU: ${listenerCpu.toFixed(1)} s, ${cpuPerReport.toFixed(0)} µs per report: ${Math.round(1e6 / cpuPerReport).toLocaleString('en-US')} reports/s per core it gets ` +
      `(load average during the run: ${loadavg()[0]?.toFixed(1)})`,
  );
  console.log(output.trim().split('\n').pop());
} finally {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await setup.close();
}
