/**
 * The one GET the webhooks make: an SNS signing certificate, or a subscription confirmation
 * (src/mail/esp/sns-message.ts checks first that the URL is Amazon's own). What comes back is
 * taken only as served: a redirect is refused rather than followed (it would lead off the host
 * that was checked), the answer must come within the timeout, and a body larger than any
 * certificate or confirmation is refused before it is all read.
 */
import type { HttpsGet } from '../../mail/esp/sns-message.ts';

export interface HttpsGetOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 64 KiB: an SNS certificate is about 2 KiB, a confirmation answer under 1 KiB. */
  maxBytes?: number;
}

/** A GET with the limits above; rejects on a redirect, a non-2xx status, a timeout or a body too large. */
export function httpsGetter(opts: HttpsGetOptions = {}): HttpsGet {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  return async (url) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    if (!res.body) return '';
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks).toString('utf8');
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new Error(`the answer is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  };
}
