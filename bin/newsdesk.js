#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=50
// The `newsdesk` command. The sources are TypeScript. `npm ci` bundles them into dist/
// (scripts/build.js), which starts faster and smaller (docs/scale.md, "Starting a worker"); while
// any source changed since that build, tsx compiles the sources on load instead (bin/build-check.js).
//
// --max-semi-space-size=8 (MB, V8's default is 16): a worker allocates a short-lived 60 KB buffer
// per message, and a smaller young generation frees them sooner. Measured with bench/send.ts:
// worker peak RSS 153–159 MB → 132–137 MB at the same throughput; imports keep their speed.
//
// --heap-growing-percent=50: after a full GC V8 lets the old generation grow to up to ~4× what
// survived before the next one. A worker keeps ~25 MB alive, so its heap drifted up to 50–75 MB
// during a 100,000-recipient campaign and RSS with it (145–170 MB), then fell back when idle.
// At 1.5× the heap stays at 21–30 MB and RSS flat at 114–119 MB (peak 128–131 MB, at start-up)
// at the same throughput; the extra full GCs of a 25 MB heap cost a few ms every few seconds.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBuild } from './build-check.js';

const built = currentBuild(join(dirname(fileURLToPath(import.meta.url)), '..'), 'main');
let main;
if (built) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
