import { describe, expect, it } from 'vitest';
import { mergePages } from '../../src/queue/recipients.ts';

describe('mergePages', () => {
  it('unions several lists in id order, each id once', () => {
    expect(mergePages([[1, 3, 5], [2, 3, 6]], 10)).toEqual([1, 2, 3, 5, 6]);
  });

  it('stops at the last id of a full page, since that list may have more just past it', () => {
    // List A came back full at 4: ids above 4 in A are unknown, so 6 and 9 from B must wait.
    expect(mergePages([[1, 2, 3, 4], [2, 6, 9]], 4)).toEqual([1, 2, 3, 4]);
    expect(mergePages([[1, 2, 5, 8], [3, 4, 6, 7]], 4)).toEqual([1, 2, 3, 4]);
  });

  it('returns nothing when every list is exhausted', () => {
    expect(mergePages([[], []], 5)).toEqual([]);
  });
});
