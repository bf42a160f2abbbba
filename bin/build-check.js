// Which code `bin/newsdesk.js` runs: the bundle in `dist/` (scripts/build.js) while it is current,
// the TypeScript sources otherwise. Current means every source file the bundle was built from (and
// the lockfile, for the packages inside it) is still there and unchanged since the build; an edit,
// a checkout or a pull makes it stale, and the sources run until the next `npm run build`.
// NEWSDESK_FROM_SOURCE=1 runs the sources regardless.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The file URL of `dist/<entry>.js` when the bundle in `root/dist` is current, else undefined.
 * @param {string} root the package folder
 * @param {string} entry an entry point of the build (`main`, `dkim-thread`)
 * @param {Record<string, string | undefined>} env
 * @returns {URL | undefined}
 */
export function currentBuild(root, entry, env = process.env) {
  if (env.NEWSDESK_FROM_SOURCE === '1') return undefined;
  const dist = join(root, 'dist');
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dist, 'build.json'), 'utf8'));
  } catch {
    return undefined; // never built, or a build is being swapped in
  }
  if (typeof manifest?.builtAt !== 'number' || !Array.isArray(manifest.inputs) || manifest.inputs.length === 0) return undefined;
  for (const input of manifest.inputs) {
    const stat = statSync(join(root, input), { throwIfNoEntry: false });
    if (!stat || stat.mtimeMs > manifest.builtAt) return undefined;
  }
  const file = statSync(join(dist, `${entry}.js`), { throwIfNoEntry: false });
  return file ? pathToFileURL(join(dist, `${entry}.js`)) : undefined;
}
