import { describe, expect, it } from 'vitest';
import { NO_NAME, resolvePreviewReader, type FindSubscriber } from '../../src/domain/preview-reader.ts';

/** A lookup that knows one subscriber and records what it was asked. */
function fakeFind(): FindSubscriber & { asked: string[] } {
  const asked: string[] = [];
  const find = (async (email: string) => {
    asked.push(email);
    return email === 'jane@example.com' ? { id: 7, emailDisplay: 'Jane@Example.com', name: 'Doe, Jane' } : null;
  }) as FindSubscriber & { asked: string[] };
  find.asked = asked;
  return find;
}

describe('resolvePreviewReader', () => {
  it('is the sample reader by default, without a lookup', async () => {
    const find = fakeFind();
    expect(await resolvePreviewReader(undefined, find)).toEqual({ email: 'reader@example.com', name: 'Alex Reader', label: 'the sample reader Alex Reader' });
    expect(await resolvePreviewReader('  ', find)).toMatchObject({ name: 'Alex Reader' });
    expect(find.asked).toEqual([]);
  });

  it(`is a reader without a name for "${NO_NAME}", without a lookup`, async () => {
    const find = fakeFind();
    const reader = await resolvePreviewReader(NO_NAME, find);
    expect(reader).toEqual({ email: 'reader@example.com', label: 'a reader with no name' });
    expect(reader.name).toBeUndefined();
    expect(find.asked).toEqual([]);
  });

  it('looks an address up and names the subscriber', async () => {
    const find = fakeFind();
    expect(await resolvePreviewReader(' jane@example.com ', find)).toEqual({ email: 'Jane@Example.com', name: 'Doe, Jane', label: 'subscriber 7 (Jane@Example.com)' });
    expect(find.asked).toEqual(['jane@example.com']);
  });

  it('refuses an unknown address and an unknown spelling with the code callers map', async () => {
    await expect(resolvePreviewReader('nobody@example.com', fakeFind())).rejects.toMatchObject({ code: 'preview_reader_unknown' });
    await expect(resolvePreviewReader('nobody', fakeFind())).rejects.toMatchObject({ code: 'preview_reader_unknown', message: expect.stringContaining('"no-name"') });
  });
});
