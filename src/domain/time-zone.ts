/**
 * Time as a newsroom thinks of it: wall-clock times in the newsletter's IANA zone
 * (`America/New_York`), turned into instants with the zone's rules, daylight saving included.
 * Pure functions over the runtime's time-zone database (Intl), no clock reads.
 */
import { z } from 'zod';

/** True when `name` is an IANA time-zone name this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time-zone name, e.g. `America/New_York`. */
export const TimeZone = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as America/New_York or Europe/Berlin');
export type TimeZone = z.infer<typeof TimeZone>;

/** A wall-clock time without zone: what an editor types as `2025-02-13T06:00`. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading of `instant` in `timeZone`. */
export function localTimeOf(instant: Date, timeZone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** `timeZone`'s offset from UTC at `instant`, in ms (New York in winter: −5 h). */
export function offsetAt(instant: Date, timeZone: string): number {
  const l = localTimeOf(instant, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * Where a wall-clock time falls: one instant; the earlier of two when the clocks go back (the
 * hour that happens twice, `ambiguous`); or none when the clocks jump over it (`gap`).
 */
export type ZonedResolution = { kind: 'instant'; at: Date; ambiguous: boolean } | { kind: 'gap' };

/** Turns a wall-clock time in `timeZone` into an instant, daylight saving included. */
export function resolveLocalTime(local: LocalDateTime, timeZone: string): ZonedResolution {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  // The offsets a few hours either side cover every transition (none is longer than a day).
  const candidates = new Set([offsetAt(new Date(wall - 86_400_000), timeZone), offsetAt(new Date(wall + 86_400_000), timeZone)]);
  const matches = [...candidates]
    .map((offset) => wall - offset)
    .filter((t) => sameWallTime(localTimeOf(new Date(t), timeZone), local))
    .sort((a, b) => a - b);
  const first = matches[0];
  if (first === undefined) return { kind: 'gap' };
  return { kind: 'instant', at: new Date(first), ambiguous: matches.length > 1 };
}

function sameWallTime(a: LocalDateTime, b: LocalDateTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The calendar date of `instant` in `timeZone`, `YYYY-MM-DD`: "today" for the newsroom. */
export function localDateOf(instant: Date, timeZone: string): string {
  const l = localTimeOf(instant, timeZone);
  return `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}`;
}

/** `2025-02-13 06:00 America/New_York (11:00 UTC)`: how output names a time for people. */
export function describeInstant(instant: Date, timeZone: string | undefined): string {
  const utc = `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (!timeZone || timeZone === 'UTC') return utc;
  const l = localTimeOf(instant, timeZone);
  return `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)} ${pad(l.hour)}:${pad(l.minute)} ${timeZone} (${utc})`;
}

/** `2025-02-13T06:00:00-05:00`: `instant` as the wall-clock time in `timeZone`, with its offset. */
export function zonedIso(instant: Date, timeZone: string): string {
  const l = localTimeOf(instant, timeZone);
  const offsetMin = Math.round(offsetAt(instant, timeZone) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
