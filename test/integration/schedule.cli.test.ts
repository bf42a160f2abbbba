/** `newsdesk schedule …` as users run it, against real Redis. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';

let t: TestRedis;
beforeEach(async () => {
  t = await openTestRedis();
  await t.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
});
afterEach(async () => t.cleanup());

const run = (...args: string[]) => runNewsdesk(args, { env: { PATH: process.env.PATH, ...t.env, LOG_LEVEL: 'silent' } });

// Each run is a child process: seconds apiece on a busy machine.
const SLOW = 120_000;

it('a bad setting is refused by name and changes nothing', async () => {
  const [bad, badTime, missing] = await Promise.all([
    run('schedule', 'set', 'daily', '--cron', '0 0 30 2 *', '--tz', 'America/New_York', '--list', 'daily'),
    run('schedule', 'set', 'daily', '--cron', '0 6 * * *', '--tz', 'America/New_York', '--list', 'daily', '--local-time', '6am'),
    run('schedule', 'set', 'weekly', '--cron', '0 6 * * *', '--tz', 'America/New_York', '--list', 'daily'),
  ]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('error: cron: "0 0 30 2 *" never fires');
  expect(badTime.stderr).toContain('error: localTime: "6am" is not a time of day as HH:MM');
  expect(missing.stderr).toContain('unknown newsletter "weekly"');
  expect(JSON.parse((await run('schedule', 'ls', '--json')).stdout)).toEqual([]);
  expect(await t.stores.audit.list()).toEqual([]);
}, SLOW);

it('set, ls (local and UTC), pause, resume, rm, each audited', async () => {
  const set = await run('schedule', 'set', 'daily', '--cron', '0 6 * * 1-5', '--tz', 'America/New_York', '--list', 'daily', '--late-window', '90m');
  expect(set.code).toBe(0);
  expect(set.stdout).toMatch(/^daily: "0 6 \* \* 1-5" in America\/New_York to daily; late window 90m\n {2}next: \d{4}-\d\d-\d\d 06:00 America\/New_York \(\d{4}-\d\d-\d\d 1[01]:00 UTC\)/);
  const [listed] = JSON.parse((await run('schedule', 'ls', '--json')).stdout) as Array<{ nextSlots: Array<{ local: string; utc: string }>; lateWindowMs: number }>;
  expect(listed?.lateWindowMs).toBe(90 * 60_000);
  expect(listed?.nextSlots).toHaveLength(5);

  expect((await run('schedule', 'pause', 'daily')).stdout).toContain('PAUSED');
  expect((await run('schedule', 'resume', 'daily')).stdout).not.toContain('PAUSED');
  expect((await run('schedule', 'rm', 'daily')).stdout).toContain('Schedule of daily removed.');
  const gone = await run('schedule', 'pause', 'daily');
  expect(gone.code).toBe(1);
  expect(gone.stderr).toContain('no schedule for newsletter "daily"');
  expect((await t.stores.audit.list()).map((e) => e.action)).toEqual(['schedule.set', 'schedule.pause', 'schedule.resume', 'schedule.remove']);
}, SLOW);
