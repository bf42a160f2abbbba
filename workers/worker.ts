/**
 * Worker process entry point, for process managers: `node --max-semi-space-size=8
 * --heap-growing-percent=50 --import tsx workers/worker.ts [--concurrency N] [--exit-when-idle]`,
 * the same as `newsdesk worker` (bin/newsdesk.js explains the two V8 flags: they keep a
 * worker's memory flat). It only starts what lives in src/.
 */
import { main } from '../src/cli/main.ts';

process.exitCode = await main([process.argv[0] as string, 'newsdesk', 'worker', ...process.argv.slice(2)]);
