import { describe, expect, it } from 'vitest';
import { type AccessArea, isReadMethod, scopeAllows, scopeMaySignIn } from '../../src/domain/access.ts';
import { parseTimeOption } from '../../src/domain/time-option.ts';
import { queueActionOf } from '../../src/http/admin/queues.ts';
import { clientNetwork } from '../../src/http/client-network.ts';

describe('scopeAllows', () => {
  const table = (scope: Parameters<typeof scopeAllows>[0]) =>
    (['content', 'metrics', 'queues', 'audit'] as AccessArea[]).flatMap((area) =>
      [false, true].flatMap((write) => (scopeAllows(scope, { area, write }) ? [`${write ? 'write' : 'read'} ${area}`] : [])),
    );

  it('admin: everything', () => {
    expect(table('admin')).toEqual(['read content', 'write content', 'read metrics', 'read queues', 'write queues', 'read audit']);
  });
  it('editor: content, looks at metrics and queues, no audit', () => {
    expect(table('editor')).toEqual(['read content', 'write content', 'read metrics', 'read queues']);
  });
  it('read: looks only', () => {
    expect(table('read')).toEqual(['read content', 'read metrics', 'read queues']);
  });
  it('metrics: only /metrics, and no dashboard', () => {
    expect(table('metrics')).toEqual(['read metrics']);
    expect(scopeMaySignIn('metrics')).toBe(false);
    expect(scopeMaySignIn('read')).toBe(true);
  });
  it('counts GET, HEAD and OPTIONS as reads', () => {
    expect(['GET', 'HEAD', 'OPTIONS'].every(isReadMethod)).toBe(true);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].some(isReadMethod)).toBe(false);
  });
});

describe('clientNetwork', () => {
  it('counts an IPv6 address as its /64, whatever its spelling', () => {
    expect(clientNetwork('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:DB8:1:2:0:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('2001:db8:1:3::1')).not.toBe(clientNetwork('2001:db8:1:2::1'));
  });
  it('keeps IPv4 (also IPv4-mapped) as is', () => {
    expect(clientNetwork('198.51.100.7')).toBe('198.51.100.7');
    expect(clientNetwork('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });
});

describe('parseTimeOption', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('reads durations ahead of or back from now, and ISO times', () => {
    expect(parseTimeOption('90d', { now, direction: 'ahead' })?.toISOString()).toBe('2026-05-30T12:00:00.000Z');
    expect(parseTimeOption('24h', { now, direction: 'back' })?.toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(parseTimeOption('2w', { now, direction: 'back' })?.toISOString()).toBe('2026-02-15T12:00:00.000Z');
    expect(parseTimeOption('30m', { now, direction: 'ahead' })?.toISOString()).toBe('2026-03-01T12:30:00.000Z');
    expect(parseTimeOption('2026-02-01T09:00:00+01:00', { now, direction: 'back' })?.toISOString()).toBe('2026-02-01T08:00:00.000Z');
  });
  it('answers null for anything else', () => {
    for (const v of ['', 'soon', '90', 'd', '-5d', '2026-02-01T09:00', '2026-13-45']) expect(parseTimeOption(v, { now, direction: 'back' }), v).toBeNull();
  });
});

describe('queueActionOf', () => {
  it('names a Bull Board call by its route', () => {
    expect(queueActionOf('/admin/queues/api/queues/:queueName/retry/:queueStatus', 'PUT')).toBe('retry');
    expect(queueActionOf('/admin/queues/api/queues/pause', 'PUT')).toBe('pause');
    expect(queueActionOf('/admin/queues/api/queues/:queueName/job-schedulers/:schedulerId/remove', 'PUT')).toBe('job-schedulers-remove');
    expect(queueActionOf('/admin/queues/api/queues/:queueName/:jobId', 'DELETE')).toBe('delete');
  });
});
