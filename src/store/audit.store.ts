/**
 * The audit log in Redis: one stream (`{p}:audit`), so entries come back in time order and are
 * trimmed cheaply. Entries older than the retention go on every write (and are never read back),
 * and the stream never holds much more than `maxEntries`, so it cannot grow without end.
 */
import { AuditEntry, AuditEvent } from '../domain/audit.schema.ts';
import { NewsdeskError } from '../domain/errors.ts';
import type { Keys, RedisClient } from './redis.ts';

/** The cap on entries: about 25 MB of Redis at ~250 bytes an entry. */
export const AUDIT_MAX_ENTRIES = 100_000;

export interface AuditLogOptions {
  redis: RedisClient;
  keys: Keys;
  /** How long an entry is kept (AUDIT_RETENTION_DAYS). Default 365 days. */
  retentionMs?: number;
  /** At most this many entries are kept (approximately: Redis trims whole nodes). Default {@link AUDIT_MAX_ENTRIES}. */
  maxEntries?: number;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
}

export interface AuditLog {
  /** Adds an entry stamped with the current time. @throws ZodError-based NewsdeskError for a malformed event. */
  record(event: AuditEvent): Promise<AuditEntry>;
  /** Entries from `since` on (default: all kept), oldest first; the newest `limit` (default 1,000) when there are more. */
  list(options?: { since?: Date | undefined; limit?: number | undefined }): Promise<AuditEntry[]>;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { redis, keys } = options;
  const retentionMs = options.retentionMs ?? 365 * 86_400_000;
  const maxEntries = options.maxEntries ?? AUDIT_MAX_ENTRIES;
  const now = options.now ?? Date.now;

  return {
    async record(event) {
      const parsed = AuditEvent.safeParse(event);
      if (!parsed.success) throw new NewsdeskError('audit_invalid', `audit entry not recorded: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const at = now();
      const entry: AuditEntry = { at: new Date(at).toISOString(), ...parsed.data };
      // The stream id is Redis's time in ms (one clock for every host that writes), so age
      // trimming (MINID) and `since` are range operations.
      await redis
        .multi()
        .xadd(keys.audit, 'MAXLEN', '~', maxEntries, '*', 'e', JSON.stringify(entry))
        .xtrim(keys.audit, 'MINID', '~', at - retentionMs)
        .exec()
        .then((replies) => {
          const failed = replies?.find(([err]) => err);
          if (failed?.[0]) throw failed[0];
        });
      return entry;
    },

    async list(listOptions = {}) {
      const limit = listOptions.limit ?? 1000;
      const oldest = Math.max(now() - retentionMs, listOptions.since?.getTime() ?? 0);
      const rows = await redis.xrevrange(keys.audit, '+', String(oldest), 'COUNT', limit);
      return rows
        .reverse()
        .flatMap(([, fields]) => {
          const text = fields[1];
          const parsed = text === undefined ? undefined : AuditEntry.safeParse(JSON.parse(text));
          return parsed?.success ? [parsed.data] : [];
        });
    },
  };
}
