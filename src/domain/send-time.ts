/**
 * When a campaign starts: an ISO 8601 time *with its offset*, so "6 am" means the editor's 6 am
 * and not the server's. Shared by `campaign create --at`, the API and the dashboard.
 */
import { z } from 'zod';

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export const SEND_TIME_HINT = 'an ISO 8601 time with an offset, e.g. 2025-02-13T06:00:00-05:00 or 2025-02-13T11:00:00Z';

/** Parses to a Date; anything without an offset, or not a real time, is refused. */
export const SendTime = z
  .string()
  .refine((v) => ISO_WITH_OFFSET.test(v) && !Number.isNaN(Date.parse(v)), `must be ${SEND_TIME_HINT}`)
  .transform((v) => new Date(v));
export type SendTime = z.output<typeof SendTime>;
