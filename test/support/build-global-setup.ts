/**
 * Vitest global setup: bring `dist/` up to date before any test runs, so the processes the tests
 * start (`bin/newsdesk.js worker`, the CLI) run the bundle users run after `npm ci`, not the
 * sources through tsx. Builds only when the build is stale (an edit since), so suites started side
 * by side in one checkout do not swap it under each other.
 */
import { execFileSync } from 'node:child_process';
import { currentBuild } from '../../bin/build-check.js';
import { repoPath } from './editions.ts';

export default function buildIfStale(): void {
  const root = repoPath('');
  if (currentBuild(root, 'main', {})) return;
  execFileSync(process.execPath, [repoPath('scripts/build.js')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
