/**
 * Whose copy a preview shows: the sample reader, a reader with no name, or a real subscriber.
 * `compose --as`, the editions API and the dashboard take the same spelling.
 */
import { NewsdeskError } from './errors.ts';
import { SAMPLE_READER } from './links.ts';

/** The spelling of "a reader with no name" in `--as`, `?as=` and the dashboard. */
export const NO_NAME = 'no-name';

/** The reader of a `no-name` preview: no name at all, so every greeting shows its fallback. */
export const NO_NAME_READER = { email: 'reader@example.com' } as const;

/** A preview's reader: who they are and how the preview names them. */
export interface PreviewReader {
  email: string;
  name?: string | undefined;
  /** "the sample reader Alex Reader", "a reader with no name", "subscriber 12 (jane@example.com)". */
  label: string;
}

/** What a preview needs to know about a real subscriber. */
export type FindSubscriber = (email: string) => Promise<{ id: number; emailDisplay: string; name?: string | undefined } | null>;

/**
 * Resolves `--as`: undefined or `sample` for the sample reader, {@link NO_NAME} for a reader
 * without a name, anything else as a subscriber's address.
 * @throws NewsdeskError `preview_reader_unknown` when no subscriber has that address.
 */
export async function resolvePreviewReader(as: string | undefined, find: FindSubscriber): Promise<PreviewReader> {
  const spec = as?.trim();
  if (!spec || spec === 'sample') return { ...SAMPLE_READER, label: `the sample reader ${SAMPLE_READER.name}` };
  if (spec === NO_NAME) return { ...NO_NAME_READER, label: 'a reader with no name' };
  if (!spec.includes('@')) {
    throw new NewsdeskError('preview_reader_unknown', `preview as a subscriber's address or "${NO_NAME}" (a reader with no name), not "${spec}"`);
  }
  const found = await find(spec);
  if (!found) throw new NewsdeskError('preview_reader_unknown', `no subscriber has the address ${spec}: preview as one who does, or as "${NO_NAME}"`);
  return { email: found.emailDisplay, name: found.name, label: `subscriber ${found.id} (${found.emailDisplay})` };
}
