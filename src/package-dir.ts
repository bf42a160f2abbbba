import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `from` whose package.json names newsdesk. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'newsdesk') return dir;
    if (dirname(dir) === dir) throw new Error(`newsdesk's package.json not found above ${from}`);
  }
}

/**
 * The folder newsdesk is installed in (holds `templates/`, `newsletters/`, `examples/`), so the
 * command finds its own files when run from anywhere (`npx newsdesk` in an editor's folder).
 * Found by walking up, since this code runs both from `src/` and bundled in `dist/`.
 */
export const PACKAGE_DIR = packageRoot(dirname(fileURLToPath(import.meta.url)));

/** The package's own `templates/` folder: the default place templates are read from. */
export const PACKAGE_TEMPLATES_DIR = join(PACKAGE_DIR, 'templates');

/** The package's own `newsletters/` folder: the fallback when the configured one lacks an id. */
export const PACKAGE_NEWSLETTERS_DIR = join(PACKAGE_DIR, 'newsletters');

/**
 * Which code this process runs: `dist` when bin/newsdesk.js found a current build (scripts/build.js
 * bundles the sources into `.js` files), `source` when it runs the TypeScript files through tsx.
 */
export const RUNNING_FROM: 'dist' | 'source' = import.meta.url.endsWith('.ts') ? 'source' : 'dist';
