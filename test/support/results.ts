/**
 * Evaluation output written the way the evaluators write it, for the results tests (unit and E2E): T2Vid's
 * run_bench.sh (`bench_results/<EXP>/<bench>/results/merge.jsonl`, or its `<N>_<i>.jsonl` chunks before the merge),
 * lmms-eval's `<output_path>/<model>/<date>_results.json`, the run record of a sweep's run, and the manifest of an
 * assembled set made by `t2vid mix`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ASSEMBLED_KIND, ASSEMBLED_MANIFEST } from '../../src/core/assemble/trainingSet';
import type { MixManifest } from '../../src/core/assemble/mix';
import { newRun } from '../../src/core/tasks/runs';
import { RUN_FILE, type RunRecord, type TaskSpec } from '../../src/shared/tasks';

/** One benchmark's judged predictions: per category, how many right and how many in all. */
export type BenchCounts = Record<string, [correct: number, total: number]>;

/** The lines parse_answer_with_llm.py writes: question_id, prompt, orig_pred, pred (a letter or Z), GT, category. */
export function benchLines(counts: BenchCounts): string[] {
  const lines: string[] = [];
  let id = 0;
  for (const [category, [correct, total]] of Object.entries(counts)) {
    for (let i = 0; i < total; i++) {
      const right = i < correct;
      lines.push(
        JSON.stringify({
          question_id: id++,
          prompt: `Question ${id}\nA. yes\nB. no`,
          orig_pred: right ? 'A. yes' : 'I think B',
          pred: right ? 'A' : i % 2 ? 'B' : 'Z',
          GT: 'A',
          category,
        }),
      );
    }
  }
  return lines;
}

/** `bench_results/<EXP>/<bench>/results/`: merge.jsonl, or (chunks > 0) only `<chunks>_<i>.jsonl`. */
export function writeBench(exp: string, bench: 'video-mme' | 'mvbench' | 'temp-compass', counts: BenchCounts, chunks = 0): void {
  const dir = path.join(exp, bench, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const lines = benchLines(counts);
  if (!chunks) {
    fs.writeFileSync(path.join(dir, 'merge.jsonl'), lines.map((l) => l + '\n').join(''));
    return;
  }
  const size = Math.ceil(lines.length / chunks);
  for (let i = 0; i < chunks; i++) {
    fs.writeFileSync(
      path.join(dir, `${chunks}_${i}.jsonl`),
      lines
        .slice(i * size, (i + 1) * size)
        .map((l) => l + '\n')
        .join(''),
    );
  }
}

/** An lmms-eval results file: per task `[score, samples]` under `metric`, no group score (as at the pinned snapshot). */
export function lmmsResults(tasks: Record<string, [number, number]>, metric: string): string {
  return JSON.stringify({
    results: Object.fromEntries(
      Object.entries(tasks).map(([t, [v]]) => [t, { alias: t, [`${metric},none`]: v, [`${metric}_stderr,none`]: 'N/A' }]),
    ),
    group_subtasks: Object.fromEntries(Object.keys(tasks).map((t) => [t, []])),
    'n-samples': Object.fromEntries(Object.entries(tasks).map(([t, [, n]]) => [t, { original: n, effective: n }])),
    model_name: 'qwen2_vl',
  });
}

/** `<output>/<model>/<stamp>_results.json`. */
export function writeLmms(output: string, stamp: string, content: string): string {
  const folder = path.join(output, 'Qwen__Qwen2-VL-7B-Instruct');
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${stamp}_results.json`);
  fs.writeFileSync(file, content);
  return file;
}

/** The run record (`.t2vid-run.json`) of a finished run, made by the engine's own newRun. */
export function writeRunRecord(
  spec: TaskSpec,
  extra: { sweepId?: string; sweepValue?: string; createdAt?: string; after?: string } = {},
): RunRecord {
  const run: RunRecord = { ...newRun(spec), state: 'done', ...extra };
  fs.mkdirSync(spec.output, { recursive: true });
  fs.writeFileSync(path.join(spec.output, RUN_FILE), JSON.stringify(run, null, 2) + '\n');
  return run;
}

/** An assembled set's manifest as `t2vid mix` writes it (the recipe and the counts it wrote). */
export function writeMixManifest(dir: string, synthetic: number, video: number, ratio: number | null): void {
  const manifest: MixManifest = {
    kind: ASSEMBLED_KIND,
    version: 1,
    engine: 't2vid-studio test',
    samples: synthetic + video,
    counts: { synthetic, video },
    frames: { total: (synthetic + video) * 8, min: 8, max: 8, mean: 8 },
    sources: [],
    seed: 1,
    filters: [],
    mix: {
      select: 'random',
      ratio,
      countSynthetic: ratio === null ? synthetic : null,
      countVideo: ratio === null ? video : null,
      videoFrames: 8,
      available: { synthetic: 1000, video: 1000 },
      duplicates: { synthetic: 0, video: 0 },
      subsampled: 0,
    },
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, ASSEMBLED_MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
  fs.writeFileSync(path.join(dir, 'samples.jsonl'), '');
}
