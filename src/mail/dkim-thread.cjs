// Entry point of one DKIM signing thread (dkim-pool.ts). A worker thread starts with a fresh
// module loader, without the TypeScript loader its parent runs under (bin/newsdesk.js), so it
// registers tsx itself before loading the TypeScript side. tsx's CommonJS hook, not its ESM one:
// the ESM hook runs in a loader thread of its own, ~16 MB more per signing thread.
require('tsx/cjs/api').register();
require('./dkim-thread.ts');
