import { describe, expect, it } from 'vitest';
import { createRequestClassifier, SCANNERS } from '../../../src/domain/click-classifier.ts';

const classify = createRequestClassifier();
const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const req = (over: Partial<Parameters<typeof classify>[0]>) => classify({ method: 'GET', userAgent: BROWSER, ip: '192.0.2.10', kind: 'click', ...over });

describe('request classifier', () => {
  it('takes a browser GET from an ordinary address for a person', () => {
    expect(req({})).toEqual({ machine: false });
    expect(req({ ip: '2001:db8::1' })).toEqual({ machine: false });
  });

  it('counts HEAD and a missing User-Agent as machine', () => {
    expect(req({ method: 'HEAD' })).toEqual({ machine: true, reason: 'HEAD request' });
    expect(req({ userAgent: undefined })).toMatchObject({ machine: true });
    expect(req({ userAgent: '   ' })).toMatchObject({ machine: true });
  });

  it('knows every network of the table, IPv4 (also as ::ffff:) and IPv6, and nothing just outside', () => {
    expect(req({ ip: '40.107.22.61' })).toMatchObject({ machine: true, reason: expect.stringContaining('Safe Links') });
    expect(req({ ip: '::ffff:40.107.22.61' })).toMatchObject({ machine: true });
    expect(req({ ip: '2a01:111:f400:7e1b::5' })).toMatchObject({ machine: true });
    expect(req({ ip: '148.163.150.3' })).toMatchObject({ reason: 'Proofpoint URL Defense' });
    expect(req({ ip: '64.235.150.1' })).toMatchObject({ reason: expect.stringContaining('Barracuda') });
    expect(req({ ip: '205.139.110.9' })).toMatchObject({ reason: 'Mimecast URL Protect' });
    expect(req({ ip: '40.106.255.255' })).toEqual({ machine: false });
    expect(req({ ip: '148.163.160.0' })).toEqual({ machine: false });
    for (const entry of SCANNERS) for (const cidr of entry.networks) expect(cidr, entry.name).toMatch(/^[0-9a-f:.]+\/\d+$/);
  });

  it('knows scanners by User-Agent, case-insensitively', () => {
    expect(req({ userAgent: 'Mozilla/5.0 (compatible; Barracuda Link Protection)' })).toMatchObject({ machine: true });
    expect(req({ userAgent: 'PROOFPOINT-urldefense' })).toMatchObject({ machine: true });
    expect(req({ userAgent: 'Slackbot-LinkExpanding 1.0' })).toMatchObject({ machine: true });
    expect(req({ userAgent: 'curl/8.5.0' })).toMatchObject({ machine: true });
  });

  it('treats Apple\'s network as machine for opens (Mail Privacy Protection) but not for clicks', () => {
    expect(req({ ip: '17.58.63.11', kind: 'open' })).toMatchObject({ machine: true, reason: expect.stringContaining('Apple') });
    expect(req({ ip: '17.58.63.11', kind: 'click' })).toEqual({ machine: false });
  });
});
