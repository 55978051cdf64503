/**
 * The task engine: a spec becomes a plan, the plan a run on its target, the run a record beside its output. The VS
 * Code task provider and `t2vid task` both drive this. Targets register their runner; this version carries out
 * `local` and `ssh` runs and plans every target (`--dry-run` writes the generated files and prints the commands).
 */
import * as path from 'node:path';
import type { RunRecord, TaskSpec, TaskTarget } from '../../shared/tasks';
import { localRunner } from './local';
import { describePlan, planTask, writePlanFiles } from './plan';
import { newRun, saveRun } from './runs';
import { sshRunner } from './ssh';
import type { LaunchPlan, TargetRunner } from './types';

export { validateTaskSpec } from './spec';
export { describePlan, planTask, writePlanFiles } from './plan';
export { findRuns } from './runs';

const runners = new Map<TaskTarget, TargetRunner>([
  ['local', localRunner],
  ['ssh', sshRunner],
]);

export function registerTargetRunner(runner: TargetRunner): void {
  runners.set(runner.target, runner);
}

function runnerOf(target: TaskTarget): TargetRunner {
  const runner = runners.get(target);
  if (!runner) {
    throw new Error(
      `running on the ${target} target is not available in this version: \`--dry-run\` (or "Show Command") writes the generated files and prints the exact commands to run`,
    );
  }
  return runner;
}

export interface RunCallbacks {
  onLog?(text: string): void;
  onUpdate?(run: RunRecord): void;
  signal?: AbortSignal;
}

/** The plan's commands printed and its files written, nothing run. */
export async function dryRun(spec: TaskSpec): Promise<{ plan: LaunchPlan; text: string; files: string[] }> {
  const plan = planTask(spec);
  const files = await writePlanFiles(plan);
  return { plan, text: describePlan(plan), files };
}

async function drive(
  run: RunRecord,
  cb: RunCallbacks,
  go: (io: Parameters<TargetRunner['launch']>[2]) => Promise<void>,
): Promise<RunRecord> {
  const signal = cb.signal ?? new AbortController().signal;
  const io = {
    log: (text: string) => cb.onLog?.(text),
    update: async (patch: Partial<RunRecord>) => {
      Object.assign(run, patch);
      await saveRun(run);
      cb.onUpdate?.({ ...run });
    },
    signal,
  };
  await go(io);
  return run;
}

/** Starts one run of `spec` (on `dataset`, for a sweep) and resolves when it has ended. */
export async function startRun(
  spec: TaskSpec,
  cb: RunCallbacks & { sweepId?: string; sweepValue?: string; dataset?: string } = {},
): Promise<RunRecord> {
  const runSpec: TaskSpec = cb.dataset ? { ...spec, dataset: cb.dataset, datasets: undefined } : spec;
  const runner = runnerOf(runSpec.target);
  // Where the output is not local (ssh), its listing there decides resume; an unreachable host fails here, with its name.
  const outputEntries = await runner.listOutput?.(runSpec);
  const plan = planTask(runSpec, runSpec.dataset, outputEntries ? { outputEntries } : {});
  await writePlanFiles(plan);
  const run = newRun(runSpec, {
    ...(plan.resumeFrom ? { resumedFrom: plan.resumeFrom } : {}),
    ...(cb.sweepId ? { sweepId: cb.sweepId, sweepValue: cb.sweepValue } : {}),
  });
  await saveRun(run);
  cb.onUpdate?.({ ...run });
  if (plan.resumeFrom) {
    cb.onLog?.(`t2vid: resuming from ${plan.resumeFrom}\n`);
  }
  return drive(run, cb, (io) => runner.launch(run, plan, io));
}

/**
 * A sweep: `spec.datasets`, one run each, one after another, sharing a sweep id; each run's output is
 * `<output>/<dataset name>`. Stops at the first run that does not end done.
 */
export async function startSweep(spec: TaskSpec, cb: RunCallbacks = {}): Promise<RunRecord[]> {
  const datasets = spec.datasets ?? (spec.dataset ? [spec.dataset] : []);
  const sweepId = `sweep-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const runs: RunRecord[] = [];
  for (const dataset of datasets) {
    const name = path.basename(path.dirname(path.resolve(dataset))) || path.basename(dataset);
    const run = await startRun(
      { ...spec, output: path.join(spec.output, name), dataset, datasets: undefined },
      { ...cb, sweepId, sweepValue: name },
    );
    runs.push(run);
    if (run.state !== 'done' || cb.signal?.aborted) {
      break;
    }
  }
  return runs;
}

export async function reattachRun(run: RunRecord, cb: RunCallbacks = {}): Promise<RunRecord> {
  const runner = runnerOf(run.spec.target);
  return drive(run, cb, (io) => runner.reattach(run, io));
}

export async function cancelRun(run: RunRecord): Promise<void> {
  await runnerOf(run.spec.target).cancel(run);
}
