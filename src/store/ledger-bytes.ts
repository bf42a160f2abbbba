/**
 * Byte reading and writing for the compact delivery ledger's format (ledger-codec.ts): a growable
 * buffer, varints, and the error a bucket that does not decode raises.
 */

/** A growable byte buffer. */
export class Writer {
  private buf = Buffer.allocUnsafe(4096);
  length = 0;
  private room(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  byte(b: number) {
    this.room(1);
    this.buf[this.length++] = b;
  }
  /** Unsigned varint of a safe integer (7 bits a byte). */
  varint(n: number) {
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.length++] = n;
  }
  bytes(b: Buffer) {
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

export class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  get more(): boolean {
    return this.pos < this.buf.length;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new LedgerFormatError('bucket ends early');
    return this.buf[this.pos++] as number;
  }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new LedgerFormatError('varint too long');
    }
  }
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new LedgerFormatError('bucket ends early');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** A compact bucket that does not decode: a bug or a hand edit. */
export class LedgerFormatError extends Error {
  constructor(detail: string) {
    super(`compact delivery ledger unreadable: ${detail}`);
    this.name = 'LedgerFormatError';
  }
}

/** Signed → unsigned for varints: 0, -1, 1, -2 … → 0, 1, 2, 3 … */
export const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
export const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);
