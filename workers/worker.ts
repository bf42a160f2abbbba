/**
 * Worker process entry point, for process managers: `node --import tsx workers/worker.ts
 * [--concurrency N] [--exit-when-idle]`, the same as `newsdesk worker`. It only starts what
 * lives in src/.
 */
import { main } from '../src/cli/main.ts';

process.exitCode = await main([process.argv[0] as string, 'newsdesk', 'worker', ...process.argv.slice(2)]);
