// Entry point of one DKIM signing thread (dkim-pool.ts). A worker thread starts with a fresh
// module loader, without the TypeScript loader its parent runs under (bin/newsdesk.js), so it
// registers tsx itself before loading the TypeScript side.
import { register } from 'tsx/esm/api';

register();
await import('./dkim-thread.ts');
