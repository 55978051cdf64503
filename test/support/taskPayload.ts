/**
 * What the task-engine tests (local, SSH, Slurm) share: the CLI, the torch.distributed payload and its interpreter,
 * a real ms-swift export to train on, the processes a run left behind, and the payload's resume checks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '../../src/shared/tasks';
import { repoRoot, sharedData } from './helpers';

export const CLI = path.join(repoRoot(), 'dist', 'cli.js');
/** test/fixtures/tasks/train_ddp.py: a small distributed fine-tune (gloo, CPU) that checkpoints and resumes. */
export const PAYLOAD = path.join(repoRoot(), 'test', 'fixtures', 'tasks', 'train_ddp.py');
/** Debian's interpreter, the one python3-torch installs for. */
export const PYTHON = '/usr/bin/python3';

/** `t2vid ARGS` with this node, synchronously. */
export function t2vid(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A real training set in `dir`: the first shared L-Eval Coursera document synthesized, then exported for ms-swift
 * (the default export: absolute paths to frames referenced in place). Returns the dataset file.
 */
export function makeSwiftExport(dir: string): string {
  const line = fs.readFileSync(sharedData('long-text', 'leval-coursera.jsonl'), 'utf8').split('\n')[0];
  fs.writeFileSync(path.join(dir, 'doc.jsonl'), line + '\n');
  let r = t2vid(['synth', path.join(dir, 'doc.jsonl'), '--out', path.join(dir, 'synth'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  r = t2vid(['export', path.join(dir, 'synth'), '--format', 'ms-swift', '--out', path.join(dir, 'swift'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return path.join(dir, 'swift', 'ms-swift.jsonl');
}

/** Processes whose command line names `marker` (a run's unique output folder), all of this pid namespace. */
export function processesOf(marker: string): string[] {
  const r = spawnSync('pgrep', ['-af', marker], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() && !l.includes('pgrep'));
}

/** A second run of the payload (8 steps, checkpoints every 2) ended done, resumed from a checkpoint of the first. */
export function assertResumed(again: RunRecord, out: string): void {
  assert.equal(again.state, 'done', fs.readFileSync(again.log, 'utf8'));
  assert.match(again.resumedFrom ?? '', /checkpoint-[24]$/);
  const done = JSON.parse(fs.readFileSync(path.join(out, 'train_done.json'), 'utf8')) as { steps: number; resumed_from: string };
  assert.equal(done.steps, 8);
  assert.match(done.resumed_from, /^checkpoint-[24]$/);
  assert.match(fs.readFileSync(again.log, 'utf8'), /resumed from checkpoint-[24]/);
}
