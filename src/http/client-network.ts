/**
 * The network a client address stands for, for rate limits (dashboard sign-ins, public sign-ups):
 * an IPv4 address is itself; an IPv6 address counts as its /64, since one home or server line is
 * given a whole /64 and counting single addresses would give an attacker 2^64 budgets. An
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports) is the IPv4
 * address it is.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** `192.0.2.1`, or `2001:db8:1:2::/64` for any address in that /64; anything unreadable as is. */
export function clientNetwork(ip: string): string {
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not a client
  if (!isIPv6(bare)) return ip;
  const groups = expandIPv6(bare);
  if (/^0:0:0:0:0:ffff:/.test(groups.join(':'))) {
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
