import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { endQuietlyOnClosedPipe } from '../../../src/cli/closed-pipe.ts';

/** A stand-in for stdout that only emits errors; the exits it leads to are recorded. */
function fakeStdout() {
  return new EventEmitter() as unknown as NodeJS.WriteStream;
}

describe('endQuietlyOnClosedPipe', () => {
  it('ends the process with the status so far on EPIPE', () => {
    const exits: number[] = [];
    const stream = fakeStdout();
    endQuietlyOnClosedPipe(stream, { exit: (code) => exits.push(code), status: () => 3 });
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([3]);
  });

  it('lets any other write error surface', () => {
    const exits: number[] = [];
    const stream = fakeStdout();
    endQuietlyOnClosedPipe(stream, { exit: (code) => exits.push(code), status: () => 0 });
    expect(() => stream.emit('error', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))).toThrow('no space left');
    expect(exits).toEqual([]);
  });
});
