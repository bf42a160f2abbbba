/**
 * Turns the fault suite's last run (test-artifacts/faults/*.json, one per scenario) into the
 * reliability table.
 *
 *   npx tsx test/faults/report.ts                          # prints the table
 *   npx tsx test/faults/report.ts --out docs/reliability.md   # rewrites the table in that file
 *
 * `npm run test:faults:report` runs the suite, then writes docs/reliability.md. In the file,
 * only the part between the `faults:begin` and `faults:end` markers is replaced.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESULTS_DIR, type ScenarioResult } from './support/fault-run.ts';

const BEGIN = '<!-- faults:begin -->';
const END = '<!-- faults:end -->';

const { values } = parseArgs({ options: { out: { type: 'string' } } });

const rows: ScenarioResult[] = existsSync(RESULTS_DIR)
  ? readdirSync(RESULTS_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as ScenarioResult)
  : [];
if (!rows.length) {
  process.stderr.write(`no results in ${RESULTS_DIR}: run npm run test:faults first\n`);
  process.exit(1);
}

const cell = (s: string | number) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');
const table = [
  '| # | Scenario | Expectation | Recipients | Received | Unique | Duplicates | Lost | In flight | Observed |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ...rows.map((r) =>
    [
      r.id.split('-')[0] ?? r.id,
      r.scenario,
      r.expectation,
      r.recipients,
      r.received,
      r.unique,
      r.duplicates,
      r.lost,
      r.inFlight ? r.inFlight.join(', ') : '—',
      `${r.notes} (${r.seconds} s, seed ${r.seed})`,
    ]
      .map(cell)
      .join(' | ')
      .replace(/^/, '| ')
      .concat(' |'),
  ),
].join('\n');

if (!values.out) {
  process.stdout.write(`${table}\n`);
} else {
  const stamp = `Last full run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${rows.length} scenarios.`;
  const block = `${BEGIN}\n${stamp}\n\n${table}\n${END}`;
  const current = existsSync(values.out) ? readFileSync(values.out, 'utf8') : `# Reliability\n\n${BEGIN}\n${END}\n`;
  if (!current.includes(BEGIN) || !current.includes(END)) {
    process.stderr.write(`${values.out} has no ${BEGIN} … ${END} block to replace\n`);
    process.exit(1);
  }
  writeFileSync(values.out, current.replace(new RegExp(`${BEGIN}[\\s\\S]*${END}`), () => block));
  process.stdout.write(`wrote ${rows.length} scenario rows to ${values.out}\n`);
}
