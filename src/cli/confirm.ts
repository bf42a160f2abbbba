/**
 * The question a careful command asks before it mails people. On a terminal it shows who would
 * get the email and asks; elsewhere (a script, a cron job, a pipe) nobody can answer, so it
 * refuses and says to pass --yes. Either way nothing is stored before the answer.
 */
import { createInterface } from 'node:readline/promises';
import { describeDuplicate, type DuplicateSend } from '../domain/duplicate-send.ts';
import { NewsdeskError } from '../domain/errors.ts';
import { count } from './output.ts';

/** What the question names: the audience, earlier sends, and a date that is not the start's day. */
export interface SendQuestion {
  lists: Array<{ id: string; members: number }>;
  /** Earlier sends of the same edition (present only with --again). */
  duplicates: DuplicateSend[];
  /** When the edition's date is not the start's local date. */
  otherDay?: { editionDate: string; startDay: string; timeZone: string } | undefined;
  /** "now" or the start time for people. */
  when: string;
}

/** "2,007 readers on metro; first send of this edition" (plus any earlier sends and an odd date). */
export function describeAudience(q: SendQuestion): string {
  const readers = q.lists.map((l) => `${count(l.members)} reader${l.members === 1 ? '' : 's'} on ${l.id}`).join(', ');
  const both = q.lists.length > 1 ? ' (a reader on several gets one copy)' : '';
  const history = q.duplicates.length ? `sent before: ${q.duplicates.map(describeDuplicate).join('; ')}` : 'first send of this edition';
  const day = q.otherDay ? `; the edition is dated ${q.otherDay.editionDate}, but the send day is ${q.otherDay.startDay} in ${q.otherDay.timeZone}` : '';
  return `${readers}${both}; ${history}${day}; starting ${q.when}`;
}

/** Refused: not confirmed, or nobody there to confirm. */
export class NotConfirmedError extends NewsdeskError {}

/**
 * Asks "Send? [y/N]" on a terminal; without one, refuses with what to pass. `yes` skips the question.
 * @throws NotConfirmedError when the answer is not yes, or when nobody can answer.
 */
export async function confirmSend(q: SendQuestion, opts: { yes?: boolean | undefined; io?: { isTTY: boolean; ask(question: string): Promise<string> } }): Promise<void> {
  if (opts.yes) return;
  const io = opts.io ?? terminal();
  const what = describeAudience(q);
  if (!io.isTTY) {
    throw new NotConfirmedError('confirmation_required', `not sent: ${what}. Nobody is at a terminal to confirm; pass --yes to send without asking`);
  }
  const answer = (await io.ask(`${what}.\nSend? [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new NotConfirmedError('not_confirmed', 'not sent: not confirmed; nothing was changed');
}

function terminal(): { isTTY: boolean; ask(question: string): Promise<string> } {
  return {
    isTTY: !!process.stdin.isTTY && !!process.stderr.isTTY,
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}
