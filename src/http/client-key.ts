/**
 * The key a client's requests are counted under for rate limits. An IPv4 address is one client;
 * an IPv6 address is not: a single subscriber line is usually given a whole /64 (2^64
 * addresses), so counting per address would let one machine take a fresh budget for every
 * request. IPv6 is counted per /64, and an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a
 * dual-stack socket reports) as the IPv4 address it is.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** `192.0.2.1` → `192.0.2.1`; `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`; anything else as given. */
export function clientKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not a client
  if (!isIPv6(bare)) return ip;
  const groups = expandIPv6(bare);
  const mapped = /^0:0:0:0:0:ffff:/.test(groups.join(':'));
  if (mapped) {
    const hi = parseInt(groups[6] as string, 16);
    const lo = parseInt(groups[7] as string, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, each in lower-case hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  let text = ip.toLowerCase();
  // A trailing dotted quad (::ffff:192.0.2.1) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, quad.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
