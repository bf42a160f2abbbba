/**
 * What the sign-up proof of work costs: solving challenges as a script would (altcha-lib in Node,
 * one core, PBKDF2 native), and checking them as the server does.
 *
 *   npx tsx bench/sign-up-challenge.ts [--max 5000] [--n 5]
 *
 * A browser's widget solves with WebCrypto in several workers; its time is of the same order.
 */
import { parseArgs } from 'node:util';
import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { Redis } from 'ioredis';
import { createKeys } from '../src/store/redis.ts';
import { createProofOfWork } from '../src/http/subscriber/proof-of-work.ts';

const { values } = parseArgs({ options: { max: { type: 'string', default: '5000' }, n: { type: 'string', default: '5' } } });
const maxCounter = Number(values.max);
const n = Number(values.n);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keys = createKeys(`bench-pow-${process.pid}`);
const pow = createProofOfWork({ redis, keys, secret: 'a-bench-secret-that-is-long-enough-for-hmac', maxCounter });

const solveMs: number[] = [];
const issueMs: number[] = [];
const verifyMs: number[] = [];
for (let i = 0; i < n; i++) {
  let t = performance.now();
  const challenge = (await pow.challenge()) as Parameters<typeof solveChallenge>[0]['challenge'];
  issueMs.push(performance.now() - t);
  t = performance.now();
  const solution = await solveChallenge({ challenge, deriveKey });
  solveMs.push(performance.now() - t);
  const payload = Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  t = performance.now();
  const verdict = await pow.verify(payload);
  verifyMs.push(performance.now() - t);
  if (verdict !== 'solved') throw new Error(`challenge ${i}: ${verdict}`);
}
await redis.del(...(await redis.keys(`${keys.tag}:*`)));
redis.disconnect();

const summary = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}`;
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
console.log(`challenges with counters up to ${maxCounter} (PBKDF2-SHA-256, 1,000 iterations), ${n} runs`);
console.log(`  issue  (server): ${summary(issueMs)}`);
console.log(`  solve  (client): ${summary(solveMs)}`);
console.log(`  verify (server): ${summary(verifyMs)}`);
