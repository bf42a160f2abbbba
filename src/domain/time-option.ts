/**
 * Times given on the command line relative to now, as people type them: `90d`, `12h`, `30m`,
 * `2w`, or an ISO 8601 time with its offset. Used by `tokens create --expires` (ahead of now) and
 * `audit --since` (before now).
 */

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const RELATIVE = /^(\d{1,5})([mhdw])$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** What a time option accepts, for error messages. */
export const TIME_OPTION_HINT = 'a duration such as 30m, 12h, 90d or 2w, or an ISO 8601 time like 2026-03-01T09:00:00Z';

/**
 * The moment `value` names: a duration counted from `now` in `direction`, or an absolute time.
 * @returns null when `value` is neither.
 */
export function parseTimeOption(value: string, options: { now: number; direction: 'ahead' | 'back' }): Date | null {
  const rel = RELATIVE.exec(value.trim());
  if (rel) {
    const ms = Number(rel[1]) * (UNIT_MS[rel[2] as string] as number);
    return new Date(options.now + (options.direction === 'ahead' ? ms : -ms));
  }
  if (!ISO_WITH_OFFSET.test(value.trim())) return null;
  const at = new Date(value.trim());
  return Number.isNaN(at.getTime()) ? null : at;
}

/** A duration as people type it (`30m`, `2h`, `1d`, `2w`) in ms, or null when `value` is not one. */
export function parseDuration(value: string): number | null {
  const rel = RELATIVE.exec(value.trim());
  return rel ? Number(rel[1]) * (UNIT_MS[rel[2] as string] as number) : null;
}
