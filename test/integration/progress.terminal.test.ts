/**
 * The progress bar on a terminal: Ctrl-C gives the terminal back (the cursor it hid is shown, line
 * wrapping restored) whether the bar was the only one listening for the signal or the program
 * had a listener of its own that exits.
 */
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/editions.ts';
import { HAS_SCRIPT, HIDE_CURSOR, onTerminal, SHOW_CURSOR } from '../support/terminal.ts';

const PROGRAM = repoPath('test/fixtures/programs/progress-bar.ts');
const WRAP_ON = '\x1b[?7h';

function program(...args: string[]) {
  return onTerminal([process.execPath, '--import', 'tsx', PROGRAM, ...args], { PATH: process.env.PATH ?? '' });
}

describe.skipIf(!HAS_SCRIPT)('a progress bar on a terminal', () => {
  it('alone: Ctrl-C shows the cursor again, then the program dies of SIGINT (130)', async () => {
    const run = program();
    await run.waitFor(HIDE_CURSOR);
    run.type('\x03');
    expect(await run.exited).toBe(130);
    const after = run.output().slice(run.output().indexOf(HIDE_CURSOR));
    expect(after).toContain(SHOW_CURSOR);
    expect(after).toContain(WRAP_ON);
  });

  it("beside the program's own SIGINT listener, which exits at once: the program's listener decides, the cursor is shown on the way out", async () => {
    const run = program('--own-listener');
    await run.waitFor(HIDE_CURSOR);
    run.type('\x03');
    expect(await run.exited).toBe(3);
    const out = run.output();
    expect(out).toContain('own listener');
    const after = out.slice(out.indexOf(HIDE_CURSOR));
    expect(after).toContain(SHOW_CURSOR);
    expect(after).toContain(WRAP_ON);
  });

  it("beside the program's own once-listener (a clean shutdown): the bar gives the terminal back and leaves the rest to it", async () => {
    const run = program('--own-once');
    await run.waitFor(HIDE_CURSOR);
    run.type('\x03');
    expect(await run.exited).toBe(4);
    const out = run.output();
    expect(out.indexOf(SHOW_CURSOR)).toBeGreaterThan(out.indexOf(HIDE_CURSOR));
    expect(out.indexOf('clean shutdown')).toBeGreaterThan(out.indexOf(SHOW_CURSOR));
  });
});
