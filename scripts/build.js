// `npm run build` (run by `npm ci` and `npm install` through the `prepare` script): bundles the
// TypeScript sources into `dist/` so that `bin/newsdesk.js` starts without compiling them. The
// sources stay the truth: `bin/build-check.js` runs `dist/` only while no file it was built from
// has changed since, and falls back to the sources (through tsx) otherwise. Why a build exists at
// all is in docs/scale.md ("Starting a worker").
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages bundled with the code, with what they import: those every process loads at start. A
 * package loaded from node_modules costs Node a resolution and a CommonJS parse per file, at every
 * start (docs/scale.md, "Starting a worker"). The rest (the composer, the HTTP server, the S3
 * client) stay in node_modules: loaded by few commands, and some read their own files or load
 * native code.
 */
const BUNDLED = new Set(['bullmq', 'ioredis', 'zod', 'commander']);
/** Never bundled, even when a bundled package imports them: native code found at run time. */
const NATIVE = new Set(['msgpackr-extract']);
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** esbuild plugin: node_modules imports stay imports, except {@link BUNDLED} and what they import. */
const dependencies = {
  name: 'newsdesk-dependencies',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
      if (path.startsWith('node:') || NATIVE.has(packageOf(path))) return { external: true };
      if (importer.includes('/node_modules/') || BUNDLED.has(packageOf(path))) return undefined;
      return { external: true };
    });
  },
};
const dist = join(root, 'dist');
const staging = join(root, `dist.${process.pid}.tmp`);

// Taken before the sources are read: a file saved during the build counts as changed.
const builtAt = Date.now();
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
const result = await build({
  absWorkingDir: root,
  // The command, and the DKIM signing thread's entry (a worker thread loads its own file).
  entryPoints: { main: 'src/cli/main.ts', 'dkim-thread': 'src/mail/dkim-thread.ts' },
  bundle: true,
  // One file per lazily loaded command group, as in the sources: a worker loads no composer.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [dependencies],
  // Bundled CommonJS packages call require() (Node's built-ins, optional native parts).
  banner: { js: "import { createRequire as newsdeskCreateRequire } from 'node:module'; const require = newsdeskCreateRequire(import.meta.url);" },
  outdir: staging,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
// What makes the build stale when it changes: the sources, and the lockfile for the bundled packages.
const inputs = [
  // esbuild names them relative to absWorkingDir, the package folder.
  ...Object.keys(result.metafile.inputs).filter((file) => !file.includes('node_modules/')),
  'package-lock.json',
];
writeFileSync(join(staging, 'build.json'), `${JSON.stringify({ builtAt, inputs }, null, 2)}\n`);
rmSync(dist, { recursive: true, force: true });
renameSync(staging, dist);
process.stdout.write(`newsdesk: built dist/ from ${inputs.length - 1} source files\n`);
