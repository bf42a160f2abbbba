/**
 * An edition handed over HTTP (pasted YAML, an uploaded file, a JSON body) to a compiled, linted
 * email: the same steps as `composeEditionFile`, from text or a value instead of a path, so the
 * API and the dashboard preview exactly what `campaign create` would send.
 */
import { personalize } from '../composer/personalize.ts';
import type { CompiledEmail, PersonalizedEmail } from '../domain/compiled-email.ts';
import { inertRecipient } from '../domain/links.ts';
import { type FindSubscriber, type PreviewReader, resolvePreviewReader } from '../domain/preview-reader.ts';

// Composing from text or a value lives with the composer (the edition service uses it too);
// re-exported here for the routes that import it from this file.
export { type ComposedInput, type ComposeInputOptions, composeEditionInput } from '../composer/compose-edition.ts';

/**
 * The copy `as` would get (a subscriber's address, `no-name`, or the sample reader when absent),
 * with the same inert links as the sample.
 * @throws NewsdeskError `preview_reader_unknown` for an address no subscriber has
 */
export async function copyAs(
  compiled: CompiledEmail,
  publicUrl: string,
  as: string | undefined,
  find: FindSubscriber,
): Promise<{ reader: PreviewReader; copy: PersonalizedEmail }> {
  const reader = await resolvePreviewReader(as, find);
  return { reader, copy: personalize(compiled, inertRecipient(publicUrl, { email: reader.email, name: reader.name })) };
}
