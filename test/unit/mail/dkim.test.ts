import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../src/composer/compile.ts';
import { trackLinks } from '../../../src/composer/link-tracking.ts';
import { createClickSigner } from '../../../src/domain/click-links.ts';
import { prepareCampaignMessage } from '../../../src/mail/campaign-message.ts';
import { relaxedBodyHash, relaxedLines } from '../../../src/mail/dkim-body.ts';
import { createDkimSigner, dkimPublicKeyRecord, relaxedBody, splitMessage } from '../../../src/mail/dkim.ts';
import { outcomes, signedHeaderNames, verifyDkim } from '../../support/dkim.ts';
import { dailyNewsletter, exampleEdition } from '../../support/editions.ts';
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
    ['lone\rcr \x00\x7f\xe9  \xff\t\r\n', 'lone\rcr \x00\x7f\xe9 \xff\r\n'],
  ])('%j → %j', (body, canonical) => {
    expect(relaxedBody(Buffer.from(body, 'latin1')).toString('latin1')).toBe(canonical);
    // The same into a reused buffer, dirty from an earlier, longer body.
    expect(relaxedBody(Buffer.from(body, 'latin1'), Buffer.alloc(body.length + 40, 'z')).toString('latin1')).toBe(canonical);
  });
});

/** RFC 6376 §3.4.4 written plainly (bare CR and LF are line content), to hold the byte loop to. */
function plainRelaxedBody(body: string): string {
  const lines = body.split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const relaxed = lines.map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (relaxed.length && relaxed[relaxed.length - 1] === '') relaxed.pop();
  return relaxed.map((line) => `${line}\r\n`).join('');
}

/** Deterministic bodies of whitespace, line breaks (bare ones too) and a few characters. */
function randomBodies(count: number): string[] {
  const alphabet = ['a', 'b', '.', '=', ' ', ' ', '\t', '\r\n', '\r\n', '\r', '\n', '\xe9'];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
}

describe('relaxed body from pieces (dkim-body.ts)', () => {
  const bodies = randomBodies(2000);

  it('relaxedBody follows the rules as written, on 2,000 random bodies', () => {
    for (const body of bodies) expect(relaxedBody(Buffer.from(body, 'latin1')).toString('latin1')).toBe(plainRelaxedBody(body));
  });

  it('canonicalizes a body cut at line starts piece by piece: the same bytes, hence the same hash', () => {
    let compared = 0;
    for (const body of bodies.map((b) => `${b}\r\n`)) {
      // Cut after every second CRLF.
      const ends = [...body.matchAll(/\r\n/g)].map((m) => (m.index as number) + 2).filter((_, i) => i % 2 === 1);
      const pieces = [0, ...ends].map((start, i, all) => Buffer.from(body.slice(start, all[i + 1] ?? body.length), 'latin1')).filter((p) => p.length);
      const relaxed = pieces.map((p) => relaxedLines(p) as Buffer);
      expect(relaxed.every(Boolean)).toBe(true);
      const joined = Buffer.concat(relaxed).toString('latin1');
      const whole = plainRelaxedBody(body);
      // Equal once the end's empty lines go, which only the whole body can know.
      expect(joined.replace(/(?:^|(?<=\r\n))(?:\r\n)+$/, '')).toBe(whole);
      if (joined === whole) {
        expect(relaxedBodyHash(relaxed)).toBe(relaxedBodyHash([relaxedBody(Buffer.from(body, 'latin1'))]));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('relaxedLines refuses what is not whole lines', () => {
    expect(relaxedLines(Buffer.from('a  b\r\nc', 'latin1'))).toBeUndefined();
    expect(relaxedLines(Buffer.from('a  b\r', 'latin1'))).toBeUndefined();
    expect(relaxedLines(Buffer.from('a  b \r\n\r\n', 'latin1'))?.toString('latin1')).toBe('a b\r\n\r\n');
  });
});

describe('the body hash a campaign message brings (OutgoingMessage.relaxedBodyHash)', () => {
  const bodyHashOf = (raw: Buffer) => relaxedBodyHash([relaxedBody(splitMessage(raw).body)]);
  const bhTag = (signed: Buffer) => /bh=([^;]+);/.exec(signed.toString('latin1').replace(/\r\n /g, ''))?.[1];
  const readers = [recipient(8, 'Zoë  \t Smith '), recipient(9), recipient(10, '  Ada\tLovelace'), recipient(11, 'A. Very Long Name '.repeat(8))];

  // A first name has no whitespace, but the greeting fallback may: canonicalized per message.
  const spaced = prepareCampaignMessage({ compiled: { ...compiled, greetingFallback: 'dear \t  reader' }, newsletter, campaign: { id: 'c1', listId: 'main' } });

  it('is the signer’s own, and a signature made with it passes mailauth', async () => {
    for (const rendered of [...readers.map((r) => message.render(r)), spaced.render(recipient(13))]) {
      const given = rendered.relaxedBodyHash?.();
      expect(given).toBe(bodyHashOf(rendered.raw));
      const signed = signer.sign(rendered.raw, given);
      expect(bhTag(signed)).toBe(given);
      expect((await verify(signed))[0]?.status.result).toBe('pass');
    }
  });

  it('is the signer’s own for the example edition, in every click-tracking mode', async () => {
    const daily = dailyNewsletter();
    const compiledExample = await compile(exampleEdition(), daily);
    const clickSigner = createClickSigner({ publicUrl: 'https://briefing.example.com', secrets: ['test-secret-'.repeat(4)] });
    for (const clicks of ['off', 'aggregate', 'per-reader'] as const) {
      const tracked = trackLinks(compiledExample, { campaignId: 'daily-2025-02-13-test0', tracking: { clicks, opens: 'off' }, signer: clickSigner }).compiled;
      const example = prepareCampaignMessage({ compiled: tracked, newsletter: daily, campaign: { id: 'c1', listId: 'main' } });
      for (const [i, reader] of readers.entries()) {
        const rendered = example.render(clicks === 'per-reader' ? { ...reader, readerMark: clickSigner.readerMark('daily-2025-02-13-test0', i + 1) } : reader);
        expect(rendered.relaxedBodyHash?.()).toBe(bodyHashOf(rendered.raw));
      }
    }
  });

  it('is refused when it is not a SHA-256 hash (it goes into a header field)', () => {
    const raw = message.render(recipient(12)).raw;
    expect(() => signer.fields(raw, 'x; h=from\r\nEvil: 1')).toThrow(/not a SHA-256 body hash/);
  });
});

describe('Ed25519 beside RSA (RFC 8463)', () => {
  const ed = generateKeyPairSync('ed25519');
  const edPem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keys = [
    { publicKey, selector: 'nd2025', domain: 'briefing.example.com' },
    { publicKey: ed.publicKey, selector: 'nd2025e', domain: 'briefing.example.com' },
  ];
  const dual = createDkimSigner({ domain: 'briefing.example.com', selector: 'nd2025', privateKey: pem, ed25519: { selector: 'nd2025e', privateKey: edPem } });

  it('adds a second signature, a=ed25519-sha256, and mailauth passes both', async () => {
    const signed = dual.sign(message.render(recipient(6, 'Zoë Smith')).raw);
    const results = await verify2(signed);
    expect(outcomes(results)).toEqual([['pass', 'rsa-sha256'], ['pass', 'ed25519-sha256']]);
    expect(results.map((r) => r.selector)).toEqual(['nd2025', 'nd2025e']);
    // The Ed25519 record is the bare 32-byte key (RFC 8463 §4), not SPKI.
    expect(Buffer.from(dkimPublicKeyRecord(ed.publicKey).split('p=')[1] as string, 'base64')).toHaveLength(32);
  });

  it('fails both when the body changes, and only Ed25519 when its key is not the published one', async () => {
    const signed = dual.sign(message.render(recipient(7)).raw);
    const altered = Buffer.from(signed.toString('latin1').replace('Unsubscribe:', 'Unsubscribe;'), 'latin1');
    expect((await verify2(altered)).map((r) => r.status.result)).toEqual(['fail', 'fail']);
    const other = generateKeyPairSync('ed25519').publicKey;
    const wrongKey = await verifyDkim(signed, [keys[0] as (typeof keys)[0], { ...(keys[1] as (typeof keys)[1]), publicKey: other }]);
    expect(wrongKey.map((r) => r.status.result)).toEqual(['pass', 'fail']);
  });

  it('refuses an Ed25519 setting that holds an RSA key, naming the variable', () => {
    expect(() => createDkimSigner({ domain: 'x.example', selector: 's', privateKey: pem, ed25519: { selector: 'e', privateKey: pem } })).toThrow(/DKIM_ED25519_PRIVATE_KEY: must be an Ed25519 key, got rsa/);
    expect(() => createDkimSigner({ domain: 'x.example', selector: 's', privateKey: pem, ed25519: { selector: 'a b', privateKey: edPem } })).toThrow(/DKIM_ED25519_SELECTOR: not a selector/);
  });

  function verify2(raw: Buffer) {
    return verifyDkim(raw, keys);
  }
});
