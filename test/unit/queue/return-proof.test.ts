import { describe, expect, it } from 'vitest';
import { type ProvenBy, provesNot } from '../../../src/queue/return-path.service.ts';

describe('provesNot: which proof may act for which kind of return mail', () => {
  const may: Array<[ProvenBy, 'bounce' | 'sender-alert' | 'complaint' | 'unsubscribe']> = [
    ['bounce', 'bounce'],
    ['message-id', 'bounce'],
    ['bounce', 'complaint'],
    ['unsubscribe', 'complaint'],
    ['link', 'complaint'],
    ['message-id', 'complaint'],
    ['unsubscribe', 'unsubscribe'],
    ['unsubscribe-all', 'unsubscribe'],
    ['message-id', 'unsubscribe'],
    ['unsubscribe', 'sender-alert'],
  ];
  it.each(may)('%s may prove a %s', (proof, kind) => {
    expect(provesNot(proof, kind)).toBeUndefined();
  });

  const mayNot: Array<[ProvenBy, 'bounce' | 'unsubscribe']> = [
    ['unsubscribe', 'bounce'],
    ['unsubscribe-all', 'bounce'],
    ['link', 'bounce'],
    ['link', 'unsubscribe'],
    ['bounce', 'unsubscribe'],
  ];
  it.each(mayNot)('%s may not prove a %s, and says so', (proof, kind) => {
    expect(provesNot(proof, kind)).toMatch(new RegExp(`^a ${kind} named only by .*nothing changed$`));
  });
});
