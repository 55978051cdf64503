/**
 * The torture suite's table: runs last (file order), reads the rows the family files recorded in this run and prints
 * family, cases and passed. It fails if a family that ran recorded a failure, so the table can never say all is well
 * while a case failed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { resultsDir, TORTURE_FAMILIES } from '../support/torture';

test('torture suite: table of families, cases and passed', (t) => {
  const dir = resultsDir();
  const rows = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map(
      (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { family: string; cases: number; passed: number; failed: string[] },
    )
    .sort((a, b) => TORTURE_FAMILIES.indexOf(a.family as never) - TORTURE_FAMILIES.indexOf(b.family as never));
  if (!rows.length) {
    t.skip('no torture family ran in this run');
    return;
  }
  const width = Math.max(6, ...rows.map((r) => r.family.length));
  const lines = [
    `${'family'.padEnd(width)}  cases  passed`,
    ...rows.map((r) => `${r.family.padEnd(width)}  ${String(r.cases).padStart(5)}  ${String(r.passed).padStart(6)}`),
  ];
  const total = rows.reduce((n, r) => n + r.cases, 0);
  const passed = rows.reduce((n, r) => n + r.passed, 0);
  lines.push(`${'total'.padEnd(width)}  ${String(total).padStart(5)}  ${String(passed).padStart(6)}`);
  process.stdout.write(lines.map((l) => `# ${l}`).join('\n') + '\n');
  fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(
    rows.flatMap((r) => r.failed.map((name) => `${r.family}: ${name}`)),
    [],
  );
});
