#!/usr/bin/env node
// The `newsdesk` command. The sources are TypeScript; tsx compiles them on load so users need
// no build step (`npx newsdesk …` works right after `npm ci`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
