import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../../src/bounded-memo.ts';

/** A load that counts its calls and answers when the test says. */
function loader<V>() {
  const calls: string[] = [];
  const pending = new Map<string, { resolve(v: V): void; reject(e: Error): void }>();
  const load = (key: string) => {
    calls.push(key);
    return new Promise<V>((resolve, reject) => pending.set(key, { resolve, reject }));
  };
  return { calls, load, answer: (key: string, v: V) => pending.get(key)?.resolve(v), fail: (key: string) => pending.get(key)?.reject(new Error(`no ${key}`)) };
}

describe('boundedMemo', () => {
  it('shares a load under way and keeps its result', async () => {
    const l = loader<number>();
    const get = boundedMemo(2, l.load);
    const [a, b] = [get('a'), get('a')];
    l.answer('a', 1);
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    expect(await get('a')).toBe(1);
    expect(l.calls).toEqual(['a']);
  });

  it('drops the least recently asked for once full', async () => {
    const l = loader<string>();
    const get = boundedMemo(2, l.load);
    for (const k of ['a', 'b']) {
      const p = get(k);
      l.answer(k, k);
      await p;
    }
    await get('a'); // a is now the most recent
    const c = get('c');
    l.answer('c', 'c');
    await c;
    const a = get('a');
    expect(await a).toBe('a');
    const b = get('b');
    l.answer('b', 'b2');
    expect(await b).toBe('b2');
    expect(l.calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('keeps neither a failed load nor a value keep turns down', async () => {
    const l = loader<number | null>();
    const get = boundedMemo(4, l.load, (v) => v !== null);
    const failed = get('x');
    l.fail('x');
    await expect(failed).rejects.toThrow('no x');
    const missing = get('y');
    l.answer('y', null);
    expect(await missing).toBeNull();
    const again = [get('x'), get('y')];
    l.answer('x', 1);
    l.answer('y', 2);
    expect(await Promise.all(again)).toEqual([1, 2]);
    expect(l.calls).toEqual(['x', 'y', 'x', 'y']);
  });
});
