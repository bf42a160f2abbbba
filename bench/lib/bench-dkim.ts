/**
 * DKIM for the send benchmark: a fresh RSA-2048 key (and with `ed25519`, an Ed25519 one) written
 * to a temporary directory, the `DKIM_*` environment that makes the workers sign with them, and a
 * check that a sample signed the same way passes mailauth's verifier with the matching records.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { createDkimSigner, dkimPublicKeyRecord } from '../../src/mail/dkim.ts';

export interface BenchDkim {
  env: Record<string, string>;
  /** Signs `raw` as the workers will and checks every signature with mailauth; returns the signed size. */
  signAndVerify(raw: Buffer): Promise<number>;
  close(): Promise<void>;
}

export async function benchDkim(opts: { ed25519: boolean; threads?: number | undefined }): Promise<BenchDkim> {
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-bench-dkim-'));
  const domain = 'bench.example.org';
  const pemFile = async (name: string, key: KeyObject) => {
    const file = join(dir, name);
    await writeFile(file, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    return file;
  };
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = opts.ed25519 ? generateKeyPairSync('ed25519') : undefined;
  const env: Record<string, string> = { DKIM_DOMAIN: domain, DKIM_SELECTOR: 'bench', DKIM_PRIVATE_KEY: await pemFile('rsa.pem', rsa.privateKey) };
  if (ed) Object.assign(env, { DKIM_ED25519_SELECTOR: 'bench-ed', DKIM_ED25519_PRIVATE_KEY: await pemFile('ed25519.pem', ed.privateKey) });
  if (opts.threads !== undefined) env.DKIM_THREADS = String(opts.threads);
  const records = new Map([[`bench._domainkey.${domain}`, dkimPublicKeyRecord(rsa.publicKey)]]);
  if (ed) records.set(`bench-ed._domainkey.${domain}`, dkimPublicKeyRecord(ed.publicKey));
  const signer = createDkimSigner({
    domain,
    selector: 'bench',
    privateKey: env.DKIM_PRIVATE_KEY as string,
    ed25519: ed ? { selector: 'bench-ed', privateKey: env.DKIM_ED25519_PRIVATE_KEY as string } : undefined,
  });
  return {
    env,
    async signAndVerify(raw) {
      const signed = signer.sign(raw);
      const { results } = await dkimVerify(signed, {
        resolver: async (name: string) => {
          const record = records.get(name);
          if (!record) throw Object.assign(new Error(`no record for ${name}`), { code: 'ENOTFOUND' });
          return [[record]];
        },
      });
      const failed = results.filter((r) => r.status.result !== 'pass');
      if (results.length !== records.size || failed.length) throw new Error(`bench: DKIM sample does not verify: ${JSON.stringify(results.map((r) => r.status))}`);
      return signed.length;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
