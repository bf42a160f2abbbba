/**
 * CSV export of a list's members, paged by subscriber id so memory stays flat at any size.
 * Columns: email (as typed), name, status, created_at, confirmed_at, then one per attribute.
 * Every cell goes through {@link escapeCell} (formula injection); re-importing the file gives the
 * same subscribers back, since import ignores the status and date columns.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { stringify } from 'csv-stringify/sync';
import type { Subscriber } from '../domain/subscriber.schema.ts';
import { escapeCell } from './csv-cells.ts';
import type { ListStore } from './list.store.ts';
import type { SubscriberStore } from './subscriber.store.ts';

export interface CsvExportOptions {
  subscribers: SubscriberStore;
  lists: ListStore;
  /** Members read per round trip. Default: 1000. */
  pageSize?: number;
  /** Told how many members are written out of how many, for a progress bar. Default: nothing. */
  onProgress?: (done: number, total: number) => void;
}

async function* members(options: CsvExportOptions, listId: string, upTo: number): AsyncGenerator<Subscriber[]> {
  const limit = options.pageSize ?? 1000;
  let after = 0;
  for (;;) {
    const ids = await options.lists.pageMembers(listId, { after, upTo, limit });
    if (!ids.length) return;
    after = ids[ids.length - 1] as number;
    yield (await options.subscribers.getMany(ids)).filter((s): s is Subscriber => s !== null);
  }
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Writes the members of `listId` to `out` as CSV (it does not end `out`).
 * @returns how many members were written.
 * @throws NotFoundError for an unknown list.
 */
export async function exportCsv(listId: string, out: Writable, options: CsvExportOptions): Promise<{ rows: number }> {
  await options.lists.require(listId);
  // Members who join after this point are left for the next export, like a campaign's snapshot.
  const upTo = await options.subscribers.maxSubscriberId();
  const total = await options.lists.countMembers(listId, upTo);

  // First pass: the attribute columns, so the header can be written before any row.
  const names = new Set<string>();
  for await (const page of members(options, listId, upTo)) for (const s of page) for (const k of Object.keys(s.attributes)) names.add(k);
  const attributes = [...names].sort();

  const line = (cells: string[]) => stringify([cells.map(escapeCell)]);
  await write(out, line(['email', 'name', 'status', 'created_at', 'confirmed_at', ...attributes]));
  let rows = 0;
  for await (const page of members(options, listId, upTo)) {
    const text = stringify(
      page.map((s) =>
        [
          s.emailDisplay,
          s.name ?? '',
          s.status,
          s.createdAt,
          s.confirmedAt ?? '',
          ...attributes.map((a) => (s.attributes[a] === undefined ? '' : String(s.attributes[a]))),
        ].map(escapeCell),
      ),
    );
    await write(out, text);
    rows += page.length;
    options.onProgress?.(rows, total);
  }
  return { rows };
}
