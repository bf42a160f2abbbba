/**
 * What reading a reader's link costs during a key rotation: one key, and eleven keys (a signing
 * key and ten previous ones) for a link that names its key and for one mailed before key ids.
 * `npx tsx bench/link-verify.ts [--n 200000]`. Prints µs per read; a figure, not a test.
 */
import { createHmac } from 'node:crypto';
import { createLinkSigner } from '../src/domain/links.ts';
import { generateSecret } from '../src/domain/signing-secret.ts';

const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 200_000;
const keys = Array.from({ length: 11 }, generateSecret);
const publicUrl = 'https://news.example.com';

/** A link in the form mailed before key ids: no key id, the MAC over the rest. */
function legacyToken(secret: string): string {
  const body = ['ul', (123_456).toString(36), 'daily', Date.now().toString(36)].join('.');
  return `${body}.${createHmac('sha256', secret).update('newsdesk-token-v1\n').update(body).digest().subarray(0, 16).toString('base64url')}`;
}

function measure(label: string, secrets: string[], token: string): void {
  const signer = createLinkSigner({ publicUrl, secrets });
  if (!signer.read(token, 'unsubscribe')) throw new Error(`${label}: the token does not verify`);
  const started = performance.now();
  for (let i = 0; i < n; i++) signer.read(token, 'unsubscribe');
  const us = ((performance.now() - started) * 1000) / n;
  process.stdout.write(`${label.padEnd(52)} ${us.toFixed(2)} µs per read\n`);
}

const oldest = keys[10] as string;
const tokenOf = (secret: string) => createLinkSigner({ publicUrl, secrets: [secret] }).link('unsubscribe', 123_456, { kind: 'list', id: 'daily' }).split('/').pop() as string;
measure('1 key, link with key id', [keys[0] as string], tokenOf(keys[0] as string));
measure('11 keys, link with key id, signed by the oldest', keys, tokenOf(oldest));
measure('11 keys, link without key id (mailed before)', keys, legacyToken(oldest));
process.stdout.write(`${n.toLocaleString('en-US')} reads each.\n`);
