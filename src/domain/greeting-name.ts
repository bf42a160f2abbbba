/**
 * The name a greeting uses ("Good morning, Jane."), taken from a subscriber's full name, and the
 * names that would read badly there. Pure and cheap: it runs once per recipient.
 *
 * Decided rules, each because it is clearly what the person meant:
 * - "Doe, Jane" (one comma, a one-word surname before it) is "Last, First": the greeting says
 *   "Jane". A comma after several words ("Jane Doe, PhD", "Jane Doe, Marketing") is not read
 *   that way, nor one before a suffix ("Doe, Jr."): the first word is used.
 * - Quotes and stray punctuation around the word are dropped (`"Jane"` → Jane, `Doe,` → Doe).
 * Anything still odd is reported to whoever imports the name ({@link greetingNameProblem}).
 */

/** Suffixes and degrees that can follow a comma without the name being "Last, First". */
const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'v', 'phd', 'md', 'dds', 'esq', 'mba', 'cpa', 'rn', 'jd', 'dr']);

/** Quotes, brackets and punctuation that never belong at either end of a first name. */
const EDGE_PUNCTUATION = /^[\s"'“”‘’«»()[\],;:.!?]+|[\s"'“”‘’«»()[\],;:!?]+$/g;

const isSuffix = (word: string) => SUFFIXES.has(word.toLowerCase().replace(/\./g, ''));

/**
 * "Jane" for "Jane Doe", "Doe, Jane" and `"Jane" Doe`; `fallback` when there is no usable word.
 * @param fallback the newsletter's word for a reader without a name ("there")
 */
export function firstNameOf(name: string | undefined, fallback: string): string {
  if (!name) return fallback;
  let words = name.trim().split(/\s+/);
  const comma = name.indexOf(',');
  if (comma > 0 && name.indexOf(',', comma + 1) < 0) {
    const before = name.slice(0, comma).trim();
    const after = name.slice(comma + 1).trim().split(/\s+/);
    if (!/\s/.test(before) && after[0] && !isSuffix(after[0])) words = after;
  }
  for (const word of words) {
    const clean = word.replace(EDGE_PUNCTUATION, '');
    if (clean) return clean;
  }
  return fallback;
}

/**
 * Why a full name would read badly in a greeting, with what the greeting will say; undefined for
 * a name that reads as written. For import reports: the name is kept as given either way.
 */
export function greetingNameProblem(name: string | undefined): string | undefined {
  if (!name?.trim()) return undefined;
  const greeted = firstNameOf(name, '');
  const says = greeted ? `the greeting says "${greeted}"` : 'the greeting falls back to the newsletter\'s word';
  if (/["“”«»]/.test(name)) return `name ${JSON.stringify(name)} has quotes; ${says}`;
  const commas = name.split(',').length - 1;
  if (commas === 1 && !/\s/.test(name.slice(0, name.indexOf(',')).trim()) && greeted && !name.trim().startsWith(greeted)) {
    return `name ${JSON.stringify(name)} looks like "Last, First"; ${says}`;
  }
  if (commas > 0) return `name ${JSON.stringify(name)} has a comma; ${says}`;
  if (!greeted) return `name ${JSON.stringify(name)} has no letters to greet; ${says}`;
  return undefined;
}
