/**
 * DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed) of a finished raw message, with an
 * optional second signature in ed25519-sha256 (RFC 8463) by the same domain: receivers that know
 * Ed25519 check that one too, the rest (Gmail, Yahoo among them) keep checking RSA.
 *
 * nodemailer can sign raw messages too, but through a chain of streams per message; this
 * signer is one synchronous function over the Buffer the message builder produced, and it
 * decides the signed header list itself: RFC 8058 one-click unsubscribe only counts when
 * both List-Unsubscribe and List-Unsubscribe-Post are covered (docs/architecture.md, invariant 4).
 */
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { relaxedBody, relaxedBodyHash } from './dkim-body.ts';
import { readPemSource } from './pem-source.ts';
import { NewsdeskError } from '../domain/errors.ts';

export { relaxedBody } from './dkim-body.ts';

/**
 * Headers signed when present, in this order. The two list headers and From, Subject are
 * also over-signed (listed once more than they occur) so nobody can add a second copy
 * after signing without breaking the signature.
 */
export const DKIM_SIGNED_HEADERS = [
  'from', 'reply-to', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'feedback-id',
] as const;
const OVERSIGNED = new Set(['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']);

export interface DkimOptions {
  /** The signing domain (`d=`), usually the From domain. */
  domain: string;
  /** The selector (`s=`): the key is published at `<selector>._domainkey.<domain>`. */
  selector: string;
  /** An RSA private key: PEM text, or the path of a file holding it. */
  privateKey: string;
  /**
   * A second signature with an Ed25519 key (`DKIM_ED25519_SELECTOR`, `DKIM_ED25519_PRIVATE_KEY`),
   * published at `<selector>._domainkey.<domain>` as `k=ed25519`. Never alone: RSA stays.
   */
  ed25519?: { selector: string; privateKey: string } | undefined;
  /** Clock for the `t=` tag. Default `() => new Date()`. */
  now?: (() => Date) | undefined;
}

/** Signs finished messages with one key (or two: RSA and Ed25519). */
export interface DkimSigner {
  /**
   * The message with its `DKIM-Signature` field(s) added on top. `bodyHash`: the body's `bh=`
   * when the caller has it already (`OutgoingMessage.relaxedBodyHash`); else it is computed here.
   */
  sign(raw: Buffer, bodyHash?: string): Buffer;
  /** Only the `DKIM-Signature` field(s) for `raw`, CRLF-terminated: `sign` is these, then `raw`. */
  fields(raw: Buffer, bodyHash?: string): Buffer;
}

/**
 * Reads a key given as PEM text or as a file path. Throws a `NewsdeskError` naming the problem
 * (and `variable`, default `DKIM_PRIVATE_KEY`).
 */
export function loadDkimKey(keyOrPath: string, type: 'rsa' | 'ed25519' = 'rsa', variable = 'DKIM_PRIVATE_KEY'): KeyObject {
  const pem = readPemSource(keyOrPath, variable, 'dkim_key_invalid');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new NewsdeskError('dkim_key_invalid', `${variable}: not a usable private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== type) {
    throw new NewsdeskError('dkim_key_invalid', `${variable}: must be an ${type === 'rsa' ? 'RSA' : 'Ed25519'} key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

/** The key's public half as DNS publishes it: the `p=` of `v=DKIM1; k=…; p=…`. */
export function dkimPublicKeyRecord(key: KeyObject): string {
  const spki = (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
  // RFC 8463 §4: an Ed25519 record holds the bare 32-byte key, not its SPKI wrapping.
  if (key.asymmetricKeyType === 'ed25519') return `v=DKIM1; k=ed25519; p=${spki.subarray(spki.length - 32).toString('base64')}`;
  return `v=DKIM1; k=rsa; p=${spki.toString('base64')}`;
}

/** Builds a signer; reads and checks the key(s) once, here. */
export function createDkimSigner(options: DkimOptions): DkimSigner {
  const domain = options.domain.trim().toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(domain)) throw new NewsdeskError('dkim_invalid', `DKIM_DOMAIN: not a domain name: ${domain}`);
  const keys: SigningKey[] = [{ algorithm: 'rsa-sha256', key: loadDkimKey(options.privateKey), selector: checkSelector(options.selector, 'DKIM_SELECTOR') }];
  if (options.ed25519) {
    keys.push({
      algorithm: 'ed25519-sha256',
      key: loadDkimKey(options.ed25519.privateKey, 'ed25519', 'DKIM_ED25519_PRIVATE_KEY'),
      selector: checkSelector(options.ed25519.selector, 'DKIM_ED25519_SELECTOR'),
    });
  }
  const now = options.now ?? (() => new Date());
  // relaxedBody's output is hashed and dropped: one buffer, grown as needed, serves every message.
  let scratch = Buffer.alloc(0);

  const canonicalBodyHash = (body: Buffer): string => {
    if (scratch.length < body.length + 2) scratch = Buffer.allocUnsafe(Math.max(body.length + 2, scratch.length * 2));
    return relaxedBodyHash([relaxedBody(body, scratch)]);
  };

  const fields = (raw: Buffer, givenBodyHash?: string): Buffer => {
    const { head, body } = splitMessage(raw);
    // A given hash goes into a header field: it must be one (44 base64 characters), nothing more.
    if (givenBodyHash !== undefined && !/^[A-Za-z0-9+/]{43}=$/.test(givenBodyHash)) throw new Error(`not a SHA-256 body hash: ${JSON.stringify(givenBodyHash)}`);
    const bodyHash = givenBodyHash ?? canonicalBodyHash(body);
    const { names, canonical: signedHeaders } = canonicalHeaders(head);
    const t = `t=${Math.floor(now().getTime() / 1000)}`;
    // Both signatures cover the same headers and body; neither covers the other.
    const signatures = keys.map(({ algorithm, key, selector }) => {
      const tags = ['v=1', `a=${algorithm}`, 'c=relaxed/relaxed', `d=${domain}`, `s=${selector}`, t, `h=${names.join(':')}`, `bh=${bodyHash}`, 'b='];
      const unsigned = foldTags(tags);
      // The signature field itself is signed with an empty b= and without its CRLF.
      const signedData = Buffer.from(`${signedHeaders}dkim-signature:${relaxedValue(unsigned.slice('DKIM-Signature:'.length))}`, 'latin1');
      // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the data (PureEdDSA), RSA the data itself.
      const b = (algorithm === 'rsa-sha256' ? sign('sha256', signedData, key) : sign(null, createHash('sha256').update(signedData).digest(), key)).toString('base64');
      return `${unsigned}${b.replace(/(.{72})(?=.)/g, '$1\r\n ')}\r\n`;
    });
    return Buffer.from(signatures.join(''), 'latin1');
  };

  return {
    fields,
    sign: (raw, bodyHash) => Buffer.concat([fields(raw, bodyHash), raw]),
  };
}

/**
 * A message cut at its first blank line: the header block through its last CRLF (latin1, which
 * maps bytes to chars one to one, so the strings keep the exact bytes) and the body's bytes.
 */
export function splitMessage(raw: Buffer): { head: string; body: Buffer } {
  const split = raw.indexOf('\r\n\r\n');
  return {
    head: (split === -1 ? raw : raw.subarray(0, split + 2)).toString('latin1'),
    body: split === -1 ? Buffer.alloc(0) : raw.subarray(split + 4),
  };
}

/**
 * The signed header fields in relaxed form (RFC 6376 §3.4.2), each CRLF-terminated, and the
 * names for h= (over-signed ones listed once more than they occur).
 */
export function canonicalHeaders(head: string): { names: string[]; canonical: string } {
  const headerFields = parseHeader(head);
  const names: string[] = [];
  let canonical = '';
  for (const name of DKIM_SIGNED_HEADERS) {
    // Several instances are signed bottom-up (RFC 6376 §5.4.2).
    const instances = headerFields.filter((f) => f.name === name).reverse();
    for (const f of instances) {
      names.push(name);
      canonical += `${name}:${relaxedValue(f.value)}\r\n`;
    }
    if (instances.length && OVERSIGNED.has(name)) names.push(name);
  }
  return { names, canonical };
}

interface SigningKey {
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  key: KeyObject;
  selector: string;
}

function checkSelector(value: string, variable: string): string {
  const selector = value.trim();
  if (!/^[A-Za-z0-9._-]+$/.test(selector)) throw new NewsdeskError('dkim_invalid', `${variable}: not a selector: ${selector}`);
  return selector;
}

/**
 * `DKIM-Signature: v=1; …; b=` folded at tag boundaries and inside the long h= list (after
 * a colon, where RFC 6376 allows folding whitespace); b= starts a line of its own.
 */
function foldTags(tags: string[]): string {
  // Each piece with the separator it takes when it stays on the current line.
  const pieces = tags.flatMap((tag, i) => {
    const end = i < tags.length - 1 ? ';' : '';
    const names = tag.startsWith('h=') ? tag.split(':') : [tag];
    return names.map((text, j) => ({ sep: j === 0 ? ' ' : '', text: text + (j < names.length - 1 ? ':' : end) }));
  });
  const lines: string[] = [];
  let line = 'DKIM-Signature:';
  for (const { sep, text } of pieces) {
    if ((line.length + sep.length + text.length > 78 || text === 'b=') && line !== 'DKIM-Signature:') {
      lines.push(line);
      line = ` ${text}`;
    } else {
      line += sep + text;
    }
  }
  lines.push(line);
  return lines.join('\r\n');
}

interface HeaderField {
  /** Lower-case name. */
  name: string;
  /** Everything after the colon, folds included. */
  value: string;
}

function parseHeader(head: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of head.split('\r\n')) {
    if (line === '') continue;
    const last = fields[fields.length - 1];
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last.value += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1) });
  }
  return fields;
}

/** Relaxed header value: unfold, runs of WSP to one space, trim. */
function relaxedValue(value: string): string {
  return value.replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim();
}
