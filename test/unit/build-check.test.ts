/**
 * bin/build-check.js: the `dist/` bundle runs only while every source it was built from is there
 * and unchanged; anything else runs the sources. Real files in a temporary package folder.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { currentBuild as check } from '../../bin/build-check.js';

let root: string;
const builtAt = Date.parse('2026-11-28T12:00:00Z');
const at = (file: string, ms: number) => utimesSync(join(root, file), ms / 1000, ms / 1000);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'newsdesk-build-check-'));
  mkdirSync(join(root, 'src/cli'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  for (const f of ['src/cli/main.ts', 'src/config.ts']) {
    writeFileSync(join(root, f), 'export {};\n');
    at(f, builtAt - 60_000);
  }
  writeFileSync(join(root, 'dist/main.js'), 'export {};\n');
  writeFileSync(join(root, 'dist/build.json'), JSON.stringify({ builtAt, inputs: ['src/cli/main.ts', 'src/config.ts'] }));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

it('names dist/<entry>.js while every input is older than the build', () => {
  expect(check(root, 'main', {})?.href).toBe(pathToFileURL(join(root, 'dist/main.js')).href);
});

it('runs the sources once an input was saved after the build', () => {
  at('src/config.ts', builtAt + 1);
  expect(check(root, 'main', {})).toBeUndefined();
});

it('runs the sources once an input is gone (a checkout that removed a file)', () => {
  rmSync(join(root, 'src/config.ts'));
  expect(check(root, 'main', {})).toBeUndefined();
});

it('runs the sources without a build, with a damaged manifest, or without the entry file', () => {
  writeFileSync(join(root, 'dist/build.json'), '{"builtAt":');
  expect(check(root, 'main', {})).toBeUndefined();
  writeFileSync(join(root, 'dist/build.json'), JSON.stringify({ builtAt, inputs: [] }));
  expect(check(root, 'main', {})).toBeUndefined();
  writeFileSync(join(root, 'dist/build.json'), JSON.stringify({ builtAt, inputs: ['src/config.ts'] }));
  expect(check(root, 'dkim-thread', {})).toBeUndefined();
  rmSync(join(root, 'dist'), { recursive: true });
  expect(check(root, 'main', {})).toBeUndefined();
});

it('runs the sources when NEWSDESK_FROM_SOURCE=1, whatever the build', () => {
  expect(check(root, 'main', { NEWSDESK_FROM_SOURCE: '1' })).toBeUndefined();
  expect(check(root, 'main', { NEWSDESK_FROM_SOURCE: '0' })).toBeDefined();
});
