/**
 * The task engine: a spec becomes a plan, the plan a run on its target, the run a record beside its output. The VS
 * Code task provider and `t2vid task` both drive this. Targets register their runner: `local` (a detached process
 * group), `ssh` (a detached job on the host, its log streamed back) and `slurm` (sbatch, followed by job id) run
 * here; every target is planned (`--dry-run` writes the generated files and prints the exact commands).
 */
import * as path from 'node:path';
import type { RunRecord, TaskSpec, TaskTarget } from '../../shared/tasks';
import { localRunner } from './local';
import { describePlan, planTask, writePlanFiles } from './plan';
import { newRun, saveRun } from './runs';
import { sshRunner } from './ssh';
import { slurmRunner } from './slurm';
import { evaluationSpec } from './spec';
import type { LaunchPlan, TargetRunner } from './types';

export { validateTaskSpec } from './spec';
export { describePlan, planTask, writePlanFiles } from './plan';
export { findRuns } from './runs';

const runners = new Map<TaskTarget, TargetRunner>([
  ['local', localRunner],
  ['ssh', sshRunner],
  ['slurm', slurmRunner],
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

export interface StartOptions extends RunCallbacks {
  sweepId?: string;
  sweepValue?: string;
  dataset?: string;
  /** The run this one evaluates (a sweep's fine-tune), recorded as `after`. */
  after?: RunRecord;
  /** Slurm: job ids this job waits for (`--dependency=afterok`). */
  afterOk?: string[];
}

/** Starts one run of `spec` (on `dataset`, for a sweep) and resolves when it has ended. */
export async function startRun(spec: TaskSpec, cb: StartOptions = {}): Promise<RunRecord> {
  const runSpec: TaskSpec = cb.dataset ? { ...spec, dataset: cb.dataset, datasets: undefined } : spec;
  const runner = runnerOf(runSpec.target);
  // Where the output is not local (ssh), its listing there decides resume; an unreachable host fails here, with its name.
  const outputEntries = await runner.listOutput?.(runSpec);
  const plan = planTask(runSpec, runSpec.dataset, {
    ...(outputEntries ? { outputEntries } : {}),
    ...(cb.afterOk ? { afterOk: cb.afterOk } : {}),
  });
  await writePlanFiles(plan);
  const run = newRun(runSpec, {
    ...(plan.resumeFrom ? { resumedFrom: plan.resumeFrom } : {}),
    ...(cb.sweepId ? { sweepId: cb.sweepId, sweepValue: cb.sweepValue } : {}),
    ...(cb.after ? { after: cb.after.id } : {}),
  });
  await saveRun(run);
  cb.onUpdate?.({ ...run });
  if (plan.resumeFrom) {
    cb.onLog?.(`t2vid: resuming from ${plan.resumeFrom}\n`);
  }
  return drive(run, cb, (io) => runner.launch(run, plan, io));
}

/** The record of a sweep's evaluation that never ran because its fine-tune did not end done. */
async function neverRun(spec: TaskSpec, finetune: RunRecord, sweepId: string, sweepValue: string, cb: RunCallbacks): Promise<RunRecord> {
  const run = newRun(spec, {
    state: 'cancelled',
    endedAt: new Date().toISOString(),
    sweepId,
    sweepValue,
    after: finetune.id,
    lastLine: `not run: its fine-tune ${finetune.id} ended ${finetune.state}${finetune.exitCode !== undefined ? ` (exit ${finetune.exitCode})` : ''}`,
  });
  await saveRun(run);
  cb.onUpdate?.({ ...run });
  return run;
}

/**
 * A sweep: `spec.datasets`, one run each under one sweep id, each run's output `<output>/<dataset's folder name>`
 * (the swept value). With `spec.evaluate`, each fine-tune is followed by its evaluation (output
 * `<fine-tune output>/eval`, model the fine-tune's output). Locally the runs go one after another (an evaluation
 * only when its fine-tune is done; otherwise it is recorded cancelled, never run). On Slurm every job is submitted
 * up front, each evaluation with `--dependency=afterok:<its fine-tune's job>` (Slurm cancels it if the fine-tune
 * fails). Resolves with the runs in order (fine-tune, eval, fine-tune, eval…) when all have ended.
 */
export async function startSweep(spec: TaskSpec, cb: RunCallbacks = {}): Promise<RunRecord[]> {
  const datasets = spec.datasets ?? (spec.dataset ? [spec.dataset] : []);
  const sweepId = `sweep-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${Math.random().toString(16).slice(2, 6)}`;
  const steps = datasets.map((dataset) => {
    const name = path.basename(path.dirname(path.resolve(dataset))) || path.basename(dataset);
    const output = path.join(spec.output, name);
    const own: TaskSpec = { ...spec, output, dataset, datasets: undefined, evaluate: undefined };
    return { name, dataset, own, evaluation: spec.evaluate ? evaluationSpec(spec, output) : undefined };
  });
  if (spec.target === 'slurm') {
    const pending: Array<Promise<RunRecord>> = [];
    for (const step of steps) {
      if (cb.signal?.aborted) {
        break;
      }
      // The fine-tune's job id is known once sbatch answered: then its evaluation is submitted after it.
      let submitted!: (run: RunRecord) => void;
      const firstUpdate = new Promise<RunRecord>((resolve) => (submitted = resolve));
      const finetune = startRun(step.own, {
        ...cb,
        sweepId,
        sweepValue: step.name,
        onUpdate: (r) => {
          if (r.jobId || ['done', 'failed', 'cancelled'].includes(r.state)) {
            submitted(r);
          }
          cb.onUpdate?.(r);
        },
      });
      pending.push(finetune);
      if (step.evaluation) {
        const ft = await Promise.race([firstUpdate, finetune]);
        pending.push(
          ft.jobId
            ? startRun(step.evaluation, { ...cb, sweepId, sweepValue: step.name, after: ft, afterOk: [ft.jobId] })
            : neverRun(step.evaluation, ft, sweepId, step.name, cb),
        );
      }
    }
    return Promise.all(pending);
  }
  const runs: RunRecord[] = [];
  for (const step of steps) {
    if (cb.signal?.aborted) {
      break;
    }
    const ft = await startRun(step.own, { ...cb, sweepId, sweepValue: step.name });
    runs.push(ft);
    if (step.evaluation) {
      runs.push(
        ft.state === 'done' && !cb.signal?.aborted
          ? await startRun(step.evaluation, { ...cb, sweepId, sweepValue: step.name, after: ft })
          : await neverRun(step.evaluation, ft, sweepId, step.name, cb),
      );
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
