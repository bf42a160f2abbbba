import { describe, expect, it } from 'vitest';
import {
  STATUS_CHANGE_VIAS,
  SUBSCRIBER_STATUSES,
  checkTransition,
  hasEnded,
  isMailable,
  leavesAllLists,
  mayJoinByImport,
  suppresses,
} from '../../src/domain/subscriber-status.ts';

const ENDED = ['unsubscribed', 'bounced', 'complained'] as const;

describe('checkTransition', () => {
  it('never lets an import, an admin or an unconfirmed opt-in re-activate an ended subscriber', () => {
    for (const from of ENDED) {
      for (const via of ['import', 'admin', 'opt-in', 'unsubscribe', 'bounce', 'complaint'] as const) {
        expect(checkTransition(from, 'active', via), `${from} via ${via}`).toMatchObject({ kind: 'refused' });
      }
    }
  });

  it('lets a confirmed opt-in bring back every ended status', () => {
    for (const from of ENDED) expect(checkTransition(from, 'active', 'confirmed-opt-in')).toEqual({ kind: 'allowed' });
  });

  it('activates an unconfirmed subscriber on an opt-in, never on an import or admin add', () => {
    expect(checkTransition('unconfirmed', 'active', 'opt-in')).toEqual({ kind: 'allowed' });
    expect(checkTransition('unconfirmed', 'active', 'confirmed-opt-in')).toEqual({ kind: 'allowed' });
    expect(checkTransition('unconfirmed', 'active', 'import')).toMatchObject({ kind: 'refused' });
    expect(checkTransition('unconfirmed', 'active', 'admin')).toMatchObject({ kind: 'refused' });
  });

  it('only ever starts at unconfirmed: nothing moves back to it', () => {
    for (const from of SUBSCRIBER_STATUSES.filter((s) => s !== 'unconfirmed')) {
      for (const via of STATUS_CHANGE_VIAS) expect(checkTransition(from, 'unconfirmed', via)).toMatchObject({ kind: 'refused' });
    }
  });

  it('moves ended statuses only towards stricter ones', () => {
    expect(checkTransition('unsubscribed', 'bounced', 'bounce')).toEqual({ kind: 'allowed' });
    expect(checkTransition('unsubscribed', 'complained', 'complaint')).toEqual({ kind: 'allowed' });
    expect(checkTransition('bounced', 'complained', 'complaint')).toEqual({ kind: 'allowed' });
    expect(checkTransition('bounced', 'unsubscribed', 'unsubscribe')).toMatchObject({ kind: 'refused' });
    expect(checkTransition('complained', 'unsubscribed', 'unsubscribe')).toMatchObject({ kind: 'refused' });
    expect(checkTransition('complained', 'bounced', 'bounce')).toMatchObject({ kind: 'refused' });
  });

  it('lets anyone end an active or unconfirmed subscriber', () => {
    for (const from of ['active', 'unconfirmed'] as const) {
      for (const to of ENDED) expect(checkTransition(from, to, 'admin'), `${from} → ${to}`).toEqual({ kind: 'allowed' });
    }
  });

  it('reports a change to the same status as unchanged', () => {
    for (const s of SUBSCRIBER_STATUSES) expect(checkTransition(s, s, 'admin')).toEqual({ kind: 'unchanged' });
  });

  it('allows active only for the two opt-in paths, over every combination', () => {
    for (const from of SUBSCRIBER_STATUSES) {
      for (const via of STATUS_CHANGE_VIAS) {
        if (from === 'active') continue;
        const expected = via === 'confirmed-opt-in' || (via === 'opt-in' && from === 'unconfirmed');
        expect(checkTransition(from, 'active', via).kind === 'allowed', `${from} via ${via}`).toBe(expected);
      }
    }
  });
});

describe('what a status means', () => {
  it('mails only active subscribers', () => {
    expect(SUBSCRIBER_STATUSES.filter(isMailable)).toEqual(['active']);
  });

  it('suppresses the address for every ended status, and only those', () => {
    expect(SUBSCRIBER_STATUSES.filter(suppresses)).toEqual([...ENDED]);
    expect(SUBSCRIBER_STATUSES.filter(hasEnded)).toEqual([...ENDED]);
  });

  it('takes unsubscribed and complained people off every list, not bounced ones', () => {
    expect(SUBSCRIBER_STATUSES.filter(leavesAllLists)).toEqual(['unsubscribed', 'complained']);
  });

  it('lets imports put only active and unconfirmed subscribers on a list', () => {
    expect(SUBSCRIBER_STATUSES.filter(mayJoinByImport)).toEqual(['active', 'unconfirmed']);
  });
});
