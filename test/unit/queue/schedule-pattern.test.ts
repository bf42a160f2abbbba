import { describe, expect, it } from 'vitest';
import { checkSchedulePattern, nextSlots, ScheduleInputError } from '../../../src/queue/schedule-pattern.ts';
import { zonedIso } from '../../../src/domain/time-zone.ts';

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('schedule pattern', () => {
  it('06:00 New York is 11:00 UTC in winter and 10:00 UTC in summer, across the March change', () => {
    // 2026-03-08 is the Sunday the clocks go forward in the US.
    const slots = nextSlots('0 6 * * *', 'America/New_York', new Date('2026-03-06T12:00:00Z'), 4);
    expect(iso(slots)).toEqual(['2026-03-07T11:00:00.000Z', '2026-03-08T10:00:00.000Z', '2026-03-09T10:00:00.000Z', '2026-03-10T10:00:00.000Z']);
    expect(zonedIso(slots[0] as Date, 'America/New_York')).toBe('2026-03-07T06:00:00-05:00');
    expect(zonedIso(slots[1] as Date, 'America/New_York')).toBe('2026-03-08T06:00:00-04:00');
  });

  it('and back to 11:00 UTC across the November change', () => {
    // 2026-11-01 is the Sunday the clocks go back.
    const slots = nextSlots('0 6 * * *', 'America/New_York', new Date('2026-10-31T00:00:00Z'), 3);
    expect(iso(slots)).toEqual(['2026-10-31T10:00:00.000Z', '2026-11-01T11:00:00.000Z', '2026-11-02T11:00:00.000Z']);
  });

  it('a skipped time fires an hour later that day; a time that happens twice fires once, the first time', () => {
    expect(iso(nextSlots('30 2 * * *', 'America/New_York', new Date('2026-03-07T12:00:00Z'), 2))).toEqual(['2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
    expect(iso(nextSlots('30 1 * * *', 'America/New_York', new Date('2026-10-31T12:00:00Z'), 2))).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('weekdays only: 1-5 skips the weekend', () => {
    const slots = nextSlots('0 6 * * 1-5', 'America/New_York', new Date('2026-03-06T12:00:00Z'), 2);
    expect(iso(slots)).toEqual(['2026-03-09T10:00:00.000Z', '2026-03-10T10:00:00.000Z']);
  });

  it('a half-hour zone: 06:00 Asia/Kolkata is 00:30 UTC', () => {
    const slots = nextSlots('0 6 * * *', 'Asia/Kolkata', new Date('2026-03-06T12:00:00Z'), 2);
    expect(iso(slots)).toEqual(['2026-03-07T00:30:00.000Z', '2026-03-08T00:30:00.000Z']);
    expect(zonedIso(slots[0] as Date, 'Asia/Kolkata')).toBe('2026-03-07T06:00:00+05:30');
  });

  it('refuses, naming the field: a pattern that never fires, a seconds field, too few fields, nonsense, an unknown zone', () => {
    const refusal = (pattern: string, tz = 'America/New_York') => {
      try {
        checkSchedulePattern(pattern, tz);
      } catch (err) {
        expect(err).toBeInstanceOf(ScheduleInputError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${pattern} ${tz}`);
    };
    expect(refusal('0 0 30 2 *')).toMatch(/^cron: "0 0 30 2 \*" never fires/);
    expect(refusal('* * * * * *')).toMatch(/^cron: .*seconds field.*at most once a minute/);
    expect(refusal('0 6 * *')).toMatch(/^cron: .*five fields/);
    expect(refusal('nonsense a b c d')).toMatch(/^cron: .*not a valid cron pattern/);
    expect(refusal('0 6 * * *', 'America/Gotham')).toMatch(/^tz: unknown time zone "America\/Gotham"/);
    expect(() => checkSchedulePattern('0 6 * * 1-5', 'America/New_York')).not.toThrow();
    expect(() => checkSchedulePattern('0 0 29 2 *', 'UTC')).not.toThrow();
  });
});
