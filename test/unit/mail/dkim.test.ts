import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prepareCampaignMessage } from '../../../src/mail/campaign-message.ts';
import { createDkimSigner, relaxedBody } from '../../../src/mail/dkim.ts';
import { signedHeaderNames, verifyDkim } from '../../support/dkim.ts';
import { compiled, newsletter, recipient } from '../../support/fixtures.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const verify = (raw: Buffer) => verifyDkim(raw, { publicKey, selector: 'nd2025', domain: 'briefing.example.com' });

const signer = createDkimSigner({ domain: 'briefing.example.com', selector: 'nd2025', privateKey: pem });
const message = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'c1', listId: 'main' } });

describe('DKIM signing', () => {
  it('passes mailauth verification with both list headers in h=', async () => {
    const signed = signer.sign(message.render(recipient(1, 'Zoë Smith')).raw);
    const [result, ...others] = await verify(signed);
    expect(others).toHaveLength(0);
    expect(result?.status.result).toBe('pass');
    expect(result?.signingDomain).toBe('briefing.example.com');
    expect(signed.toString('latin1')).toMatch(/^DKIM-Signature: [^\r]*c=relaxed\/relaxed;/);
    const h = signedHeaderNames(signed);
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post', 'list-id']) {
      expect(h).toContain(name);
    }
  });

  it('keeps header lines short and leaves the message itself untouched', () => {
    const raw = message.render(recipient(2)).raw;
    const signed = signer.sign(raw);
    expect(signed.subarray(signed.length - raw.length).equals(raw)).toBe(true);
    const field = signed.subarray(0, signed.length - raw.length).toString('latin1');
    expect(field.startsWith('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;')).toBe(true);
    for (const line of field.split('\r\n').filter(Boolean)) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('fails verification when a list header is changed or a second one added after signing', async () => {
    const signed = signer.sign(message.render(recipient(3)).raw).toString('latin1');
    const altered = signed.replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Unsubscribe-Post: List-Unsubscribe=Two-Click');
    expect(altered).not.toBe(signed);
    expect((await verify(Buffer.from(altered, 'latin1')))[0]?.status.result).toBe('fail');
    // Added on top, a second copy is the one many clients show; over-signing is what catches it.
    const added = `List-Unsubscribe: <https://evil.example/u>\r\n${signed}`;
    expect((await verify(Buffer.from(added, 'latin1')))[0]?.status.result).toBe('fail');
  });

  it('fails verification when the body is changed', async () => {
    const signed = signer.sign(message.render(recipient(4)).raw).toString('latin1');
    const altered = signed.replace('Unsubscribe:', 'Unsubscribe;');
    expect((await verify(Buffer.from(altered, 'latin1')))[0]?.status.result).toBe('fail');
  });

  it('survives what relays do to whitespace (relaxed canonicalization)', async () => {
    const signed = signer.sign(message.render(recipient(5)).raw).toString('latin1');
    const rewrapped = signed.replace('MIME-Version: 1.0', 'MIME-Version:   1.0').replace(/\r\n--=_nd_[0-9a-f]+--\r\n$/, (end) => `${end}\r\n\r\n`);
    expect((await verify(Buffer.from(rewrapped, 'latin1')))[0]?.status.result).toBe('pass');
  });

  it('refuses a key that is neither PEM nor a readable file, naming the variable', () => {
    expect(() => createDkimSigner({ domain: 'x.example', selector: 's', privateKey: '/no/such/key.pem' })).toThrow(/DKIM_PRIVATE_KEY: .*\/no\/such\/key\.pem/);
    expect(() => createDkimSigner({ domain: 'x.example', selector: 's', privateKey: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----' })).toThrow(/DKIM_PRIVATE_KEY: not a usable private key/);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => createDkimSigner({ domain: 'x.example', selector: 's', privateKey: ed })).toThrow(/must be an RSA key/);
  });
});

describe('relaxedBody', () => {
  it.each([
    ['', ''],
    ['\r\n\r\n', ''],
    ['a  b \t c \r\n', 'a b c\r\n'],
    ['line\r\n\r\n\r\n', 'line\r\n'],
    ['no final break', 'no final break\r\n'],
    ['trailing  ', 'trailing\r\n'],
    [' lead\r\n\tx', ' lead\r\n x\r\n'],
  ])('%j → %j', (body, canonical) => {
    expect(relaxedBody(Buffer.from(body, 'latin1')).toString('latin1')).toBe(canonical);
  });
});
