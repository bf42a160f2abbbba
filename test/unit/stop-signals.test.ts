import { afterEach, describe, expect, it } from 'vitest';
import { listenForStopSignals, type StopSignals } from '../../src/stop-signals.ts';

describe('listenForStopSignals', () => {
  let signals: StopSignals | undefined;
  afterEach(() => signals?.dispose());

  it('the first signal starts the clean stop; the second exits at once with 128 + its number', async () => {
    const exits: number[] = [];
    const forced: string[] = [];
    signals = listenForStopSignals({ exit: (code) => exits.push(code), onForcedExit: (s) => forced.push(s) });
    process.emit('SIGTERM', 'SIGTERM');
    expect(await signals.first).toBe('SIGTERM');
    expect(exits).toEqual([]);
    process.emit('SIGINT', 'SIGINT');
    expect({ exits, forced }).toEqual({ exits: [130], forced: ['SIGINT'] });
  });

  it('stops listening when disposed', () => {
    const before = process.listenerCount('SIGTERM');
    signals = listenForStopSignals({ exit: () => undefined });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    signals.dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
