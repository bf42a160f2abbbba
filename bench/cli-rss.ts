/**
 * Runs the real `newsdesk` command line in this process and, at the end, reports the process's
 * peak RSS and the time main() took on stderr, for bench/import.ts. Started as
 * `node --import tsx bench/cli-rss.ts <newsdesk arguments…>`.
 */
import { main } from '../src/cli/main.ts';

const started = performance.now();
const code = await main(['node', 'newsdesk', ...process.argv.slice(2)]);
const ms = performance.now() - started;
process.stderr.write(`\nBENCH ${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, mainMs: ms })}\n`);
process.exitCode = code;
