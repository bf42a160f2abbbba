/**
 * The network a client address stands for, for rate limits: an IPv4 address is itself, an IPv6
 * address counts as its /64 (one home or server gets a whole /64, so counting single addresses
 * would give an attacker 2^64 budgets). IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
 */
import { isIPv6 } from 'node:net';

/** `1.2.3.4`, or `2001:db8:0:1::/64` for any address in that /64; anything unreadable as is. */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::') as [string?, string?];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
