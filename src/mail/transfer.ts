/**
 * Bytes that may be moved to another thread (`postMessage(…, [bytes.buffer])`) without harm: the
 * Buffer itself when it owns its whole ArrayBuffer, else a copy. A small Buffer can be a slice of
 * Node's shared allocation pool, and moving that would take other Buffers' memory with it.
 */
export function ownedBytes(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) return buf;
  return new Uint8Array(buf);
}
