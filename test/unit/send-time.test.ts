import { describe, expect, it } from 'vitest';
import { assertNotPast, PAST_GRACE_MS, resolveSendTime, SendTimeInput } from '../../src/domain/send-time.ts';
import { describeInstant, isTimeZone, localDateOf, resolveLocalTime } from '../../src/domain/time-zone.ts';

const NY = 'America/New_York';

describe('local start times in the newsletter\'s zone', () => {
  it('reads a time with an offset as it says, whatever the zone', () => {
    expect(resolveSendTime('2025-02-13T06:00:00-05:00', { timeZone: 'Asia/Kolkata' }).toISOString()).toBe('2025-02-13T11:00:00.000Z');
    expect(resolveSendTime('2025-02-13T11:00Z', {}).toISOString()).toBe('2025-02-13T11:00:00.000Z');
  });

  it('reads 06:00 New York as 11:00 UTC in winter and 10:00 UTC in summer', () => {
    expect(resolveSendTime('2025-02-13T06:00', { timeZone: NY }).toISOString()).toBe('2025-02-13T11:00:00.000Z');
    expect(resolveSendTime('2025-07-01T06:00', { timeZone: NY }).toISOString()).toBe('2025-07-01T10:00:00.000Z');
  });

  it('March: the day before and the day of the change keep 06:00 local; 02:30 that night does not exist', () => {
    expect(resolveSendTime('2025-03-08T06:00', { timeZone: NY }).toISOString()).toBe('2025-03-08T11:00:00.000Z');
    expect(resolveSendTime('2025-03-09T06:00', { timeZone: NY }).toISOString()).toBe('2025-03-09T10:00:00.000Z');
    expect(resolveSendTime('2025-03-09T01:59', { timeZone: NY }).toISOString()).toBe('2025-03-09T06:59:00.000Z');
    expect(resolveLocalTime({ year: 2025, month: 3, day: 9, hour: 2, minute: 30, second: 0 }, NY)).toEqual({ kind: 'gap' });
    expect(() => resolveSendTime('2025-03-09T02:30', { timeZone: NY })).toThrow(/2025-03-09T02:30 does not exist in America\/New_York/);
  });

  it('November: 06:00 local on both sides; 01:30, which happens twice, means the first', () => {
    expect(resolveSendTime('2025-11-01T06:00', { timeZone: NY }).toISOString()).toBe('2025-11-01T10:00:00.000Z');
    expect(resolveSendTime('2025-11-02T06:00', { timeZone: NY }).toISOString()).toBe('2025-11-02T11:00:00.000Z');
    const twice = resolveLocalTime({ year: 2025, month: 11, day: 2, hour: 1, minute: 30, second: 0 }, NY);
    expect(twice).toEqual({ kind: 'instant', at: new Date('2025-11-02T05:30:00Z'), ambiguous: true });
    expect(resolveLocalTime({ year: 2025, month: 11, day: 2, hour: 3, minute: 0, second: 0 }, NY)).toMatchObject({ ambiguous: false });
  });

  it('a half-hour zone: 06:00 Kolkata is 00:30 UTC', () => {
    expect(resolveSendTime('2025-02-13T06:00', { timeZone: 'Asia/Kolkata' }).toISOString()).toBe('2025-02-13T00:30:00.000Z');
  });

  it('refuses a local time without a zone to read it in, a date that does not exist, and junk', () => {
    expect(() => resolveSendTime('2025-02-13T06:00', {})).toThrow(/no offset and the newsletter has no timeZone/);
    expect(() => resolveSendTime('2025-02-30T06:00', { timeZone: NY })).toThrow(/not a real date and time/);
    expect(() => resolveSendTime('2025-02-13T24:30', { timeZone: NY })).toThrow(/not a real date and time/);
    expect(() => resolveSendTime('tomorrow', { timeZone: NY, field: 'at' })).toThrow(/^at: "tomorrow" is not an ISO 8601 time/);
  });

  it('accepts "now" and both forms as input, nothing else', () => {
    for (const ok of ['now', '2025-02-13T06:00', '2025-02-13T06:00:00-05:00']) expect(SendTimeInput.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', 'later', '2025-02-13 06:00', '2025-02-13']) expect(SendTimeInput.safeParse(bad).success, bad).toBe(false);
  });
});

describe('past start times', () => {
  const now = new Date('2026-02-13T11:00:00Z');

  it('refuses a time more than a minute ago, naming the time and now in local time and UTC', () => {
    const typo = new Date('2025-01-01T11:00:00Z');
    expect(() => assertNotPast(typo, now, NY)).toThrow(
      'the start time 2025-01-01 06:00 America/New_York (2025-01-01 11:00 UTC) is in the past (now is 2026-02-13 06:00 America/New_York (2026-02-13 11:00 UTC))',
    );
    expect(() => assertNotPast(typo, now, NY)).toThrow(expect.objectContaining({ code: 'start_time_past' }));
  });

  it('takes a time within the last minute, or later, as fine', () => {
    expect(() => assertNotPast(new Date(now.getTime() - PAST_GRACE_MS), now)).not.toThrow();
    expect(() => assertNotPast(new Date(now.getTime() - PAST_GRACE_MS - 1), now)).toThrow(/in the past/);
    expect(() => assertNotPast(new Date(now.getTime() + 3600_000), now)).not.toThrow();
  });
});

describe('time zones', () => {
  it('knows IANA names and refuses others', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('America/Gotham')).toBe(false);
    expect(isTimeZone('EST5EDT; rm -rf')).toBe(false);
  });

  it('tells the local date: late evening in New York is already tomorrow in UTC', () => {
    expect(localDateOf(new Date('2025-02-14T03:00:00Z'), NY)).toBe('2025-02-13');
    expect(localDateOf(new Date('2025-02-14T03:00:00Z'), 'UTC')).toBe('2025-02-14');
  });

  it('describes an instant in local time and UTC', () => {
    expect(describeInstant(new Date('2025-02-13T11:00:00Z'), NY)).toBe('2025-02-13 06:00 America/New_York (2025-02-13 11:00 UTC)');
    expect(describeInstant(new Date('2025-02-13T11:00:00Z'), undefined)).toBe('2025-02-13 11:00 UTC');
  });
});
