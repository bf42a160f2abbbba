import { describe, expect, it } from 'vitest';
import { clientNetwork } from '../../../src/http/client-network.ts';

describe('clientNetwork', () => {
  it('IPv4 is one client per address', () => {
    expect(clientNetwork('192.0.2.1')).toBe('192.0.2.1');
    expect(clientNetwork('192.0.2.2')).not.toBe(clientNetwork('192.0.2.1'));
  });

  it('IPv6 counts per /64, however the address is written', () => {
    const key = clientNetwork('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    for (const same of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:99', '2001:db8:1:2::1%eth0']) expect(clientNetwork(same)).toBe(key);
    expect(clientNetwork('2001:db8:1:3::1')).not.toBe(key);
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  it('an IPv4-mapped IPv6 address is its IPv4 address', () => {
    expect(clientNetwork('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientNetwork('::ffff:c000:201')).toBe('192.0.2.1');
  });

  it('anything else is kept as given', () => {
    expect(clientNetwork('not an address')).toBe('not an address');
  });
});
