import { describe, expect, it } from 'vitest';
import { clientKey } from '../../../src/http/client-key.ts';

describe('clientKey', () => {
  it('IPv4 is one client per address', () => {
    expect(clientKey('192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('192.0.2.2')).not.toBe(clientKey('192.0.2.1'));
  });

  it('IPv6 counts per /64, however the address is written', () => {
    const key = clientKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    for (const same of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0:0:0:99', '2001:db8:1:2::1%eth0']) expect(clientKey(same)).toBe(key);
    expect(clientKey('2001:db8:1:3::1')).not.toBe(key);
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  it('an IPv4-mapped IPv6 address is its IPv4 address', () => {
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('::ffff:c000:201')).toBe('192.0.2.1');
  });

  it('anything else is kept as given', () => {
    expect(clientKey('not an address')).toBe('not an address');
  });
});
