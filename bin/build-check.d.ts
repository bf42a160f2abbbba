// Types of bin/build-check.js (plain JavaScript, so bin/newsdesk.js needs no compiler) for the
// TypeScript that imports it: the tests and their global setup.
export function currentBuild(root: string, entry: string, env?: Record<string, string | undefined>): URL | undefined;
