/**
 * Both cores busy: libvips runs the body of its text operation under a process-wide lock (Pango and fontconfig
 * are not thread-safe), so threads cannot lay out two frames at once; processes can. A parallel run forks one
 * render process per core (`dist/worker.js render`); each asks this process for the next sample whenever it has a
 * free slot (samples are handed out one at a time in input order, so the processes finish together however uneven
 * the samples are), and the dataset is then assembled here in input order — the resume path, taking the samples
 * the processes reported finished without reading them back, so the result is byte-identical to a one-process
 * run, and a worker that dies only costs its unfinished samples, which the others or the assembling pass render.
 */
import type { ChildProcess } from 'node:child_process';
import { availableParallelism, freemem } from 'node:os';
import { forkWorker, workerScript } from './util/worker';
import type { ReadIssue } from './model';
import * as path from 'node:path';
import { assertOutputNotInput, ensureWritableDir } from './util/fsutil';
import { escapeControl } from './util/terminal';
import {
  countSamples,
  datasetFileName,
  synthesize,
  type CompletedSample,
  type SampleError,
  type SynthOptions,
  type SynthProgress,
  type SynthSummary,
} from './synth';

/** What a parent sends a worker: the run's options without callbacks, signal or scheduling. */
export type WorkerOptions = Omit<
  SynthOptions,
  'signal' | 'onProgress' | 'onIssue' | 'onSampleError' | 'onWarning' | 'onNotice' | 'onCompleted' | 'claim' | 'completed'
>;

/** `claimed`: the answer to a worker's `claim`, the next sample's index in the run (null: none left). */
export type ToWorker = { type: 'run'; options: WorkerOptions } | { type: 'claimed'; next: number | null } | { type: 'cancel' };
export type FromWorker =
  | { type: 'claim' }
  | { type: 'completed'; sample: CompletedSample }
  | { type: 'progress'; progress: SynthProgress }
  | { type: 'sampleError'; error: SampleError }
  | { type: 'done'; summary: SynthSummary }
  | { type: 'failed'; message: string };

/** Runs in the worker process: one message in, progress and a summary out. */
export function runWorker(): void {
  const controller = new AbortController();
  const send = (message: FromWorker): void => {
    process.send?.(message);
  };
  // Claims are answered in the order they were asked.
  const claims: Array<(next: number | undefined) => void> = [];
  const settleClaims = (): void => {
    for (const resolve of claims.splice(0)) {
      resolve(undefined);
    }
  };
  process.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') {
      controller.abort(new Error('cancelled'));
      settleClaims();
      return;
    }
    if (message.type === 'claimed') {
      claims.shift()?.(message.next ?? undefined);
      return;
    }
    let last = 0;
    synthesize({
      ...message.options,
      signal: controller.signal,
      claim: () =>
        new Promise((resolve) => {
          if (!process.connected || controller.signal.aborted) {
            resolve(undefined);
            return;
          }
          claims.push(resolve);
          send({ type: 'claim' });
        }),
      onCompleted: (sample) => send({ type: 'completed', sample }),
      onProgress: (progress) => {
        const now = Date.now();
        if (now - last > 50 || progress.done === progress.total) {
          last = now;
          send({ type: 'progress', progress });
        }
      },
      onSampleError: (error) => send({ type: 'sampleError', error }),
    })
      .then(
        (summary) => send({ type: 'done', summary }),
        (e: unknown) => send({ type: 'failed', message: (e as Error).message ?? String(e) }),
      )
      .finally(() => process.disconnect?.());
  });
  process.on('disconnect', () => {
    controller.abort(new Error('parent went away'));
    settleClaims();
  });
  // Ctrl-C in a terminal reaches the whole process group: the parent decides, and sends 'cancel'.
  process.on('SIGINT', () => undefined);
}

/** Resident memory a render process may reach on a large sample (fonts, libvips caches, one page in flight). */
export const RENDER_PROCESS_MB = 256;

/** Most render processes this machine runs at once: one per core, and no more than free memory holds. */
export function processCap(): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(freemem() / (RENDER_PROCESS_MB * 1024 * 1024))));
}

/**
 * How many render processes a run uses: min(jobs, samples, processCap()); `note` says why when fewer than asked.
 * `jobs` below 1 is a caller's mistake (the CLI refuses it as bad usage).
 */
export function plannedProcesses(jobs: number | undefined, samples: number, cap = processCap()): { processes: number; note?: string } {
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
    throw new RangeError(`jobs must be a whole number ≥ 1, got ${jobs}`);
  }
  const asked = jobs ?? cap;
  const processes = Math.max(1, Math.min(asked, samples, cap));
  if (jobs === undefined || processes >= jobs) {
    return { processes };
  }
  const why =
    processes === Math.min(samples, asked) && samples < cap
      ? `the run has ${samples} sample${samples === 1 ? '' : 's'}`
      : `this machine runs at most ${cap} (${availableParallelism()} cores, ${Math.round(freemem() / 2 ** 20)} MB free, ~${RENDER_PROCESS_MB} MB a process)`;
  return { processes, note: `--jobs ${jobs} lowered to ${processes} render process${processes === 1 ? '' : 'es'}: ${why}` };
}

/** synthesize(), spread over `jobs` processes (default: one per core, at most processCap() and one per sample). */
export async function synthesizeParallel(options: SynthOptions): Promise<SynthSummary> {
  const script = workerScript();
  if ((options.jobs ?? 2) <= 1 || options.dryRun || options.samples?.length || !script) {
    plannedProcesses(options.jobs, 1);
    return synthesize(options);
  }
  // Before any process starts: an unwritable --out would otherwise fail every render process, then the assembling pass.
  await assertOutputNotInput(path.resolve(options.out), options.inputs);
  await ensureWritableDir(path.resolve(options.out));
  const format = options.format ?? 'minicpm-v';
  if (format !== 'none') {
    // Before any process starts: the assembling pass would refuse it only after every frame was rendered.
    await assertOutputNotInput(
      path.join(path.resolve(options.out), datasetFileName(format, options.shard)),
      options.inputs,
      'the dataset file',
    );
  }
  // The bad lines found while counting are reported once, here, before any frame is rendered (a one-process run
  // reports them itself).
  const issues: ReadIssue[] = [];
  const samples = await countSamples(options, (issue) => issues.push(issue));
  const planned = plannedProcesses(options.jobs, samples);
  if (planned.note) {
    options.onNotice?.(planned.note);
  }
  const processes = planned.processes;
  if (processes <= 1) {
    return synthesize(options);
  }
  for (const issue of issues.splice(0)) {
    options.onIssue?.(issue);
  }
  const started = performance.now();
  const { signal } = options;
  const reported = new Set<string>();
  const progress: SynthProgress[] = [];
  const workers: ChildProcess[] = [];
  /** Samples handed out so far (the next claim gets this index), and those the workers finished. */
  let claimed = 0;
  const completed = new Map<string, CompletedSample>();
  // onWarning: the assembling pass below reads every sample again and warns once, in this process.
  const { signal: _signal, onProgress: _p, onIssue: _i, onSampleError: _e, onWarning: _w, onNotice: _n, ...plain } = options;
  const onAbort = (): void => {
    for (const child of workers) {
      if (child.connected) {
        child.send({ type: 'cancel' } satisfies ToWorker);
      }
    }
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const run = (index: number): Promise<SynthSummary | undefined> =>
    new Promise((resolve) => {
      progress[index] = { total: 0, done: 0, frames: 0 };
      const workerOptions: WorkerOptions = { ...plain, format: 'none', jobs: 1 };
      const child = forkWorker(script, 'render');
      workers.push(child);
      let summary: SynthSummary | undefined;
      child.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'claim':
            if (child.connected) {
              child.send({ type: 'claimed', next: claimed < samples && !signal?.aborted ? claimed++ : null } satisfies ToWorker);
            }
            break;
          case 'completed':
            completed.set(message.sample.id, message.sample);
            break;
          case 'progress': {
            progress[index] = message.progress;
            const sum = progress.reduce((a, p) => ({ done: a.done + p.done, frames: a.frames + p.frames }), { done: 0, frames: 0 });
            options.onProgress?.({ total: samples, ...sum, current: message.progress.current });
            break;
          }
          case 'sampleError':
            reported.add(message.error.id);
            options.onSampleError?.(message.error);
            break;
          case 'done':
            summary = message.summary;
            break;
          case 'failed': {
            const note = `render process ${index} failed: ${message.message}; its unfinished samples are rendered by the others and at the end`;
            if (options.onNotice) {
              options.onNotice(note);
            } else {
              process.emitWarning(escapeControl(`t2vid ${note}`));
            }
            break;
          }
        }
      });
      child.on('error', () => resolve(undefined));
      child.on('exit', () => resolve(summary));
      child.send({ type: 'run', options: workerOptions } satisfies ToWorker);
    });
  let summaries: Array<SynthSummary | undefined>;
  try {
    summaries = await Promise.all(Array.from({ length: processes }, (_, index) => run(index)));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) {
    return combine(started, summaries, undefined, true);
  }
  // A worker stopped on a full disk (or a quota, a read-only file system): assembling would only hit it again.
  const stopped = summaries.find((s) => s?.stopped)?.stopped;
  if (stopped) {
    const summary = combine(started, summaries, undefined, false);
    summary.stopped = stopped;
    summary.notStarted = Math.max(0, samples - claimed);
    summary.ok = false;
    return summary;
  }
  // Assemble: every sample a worker finished is resumed; anything left (a crashed worker) is rendered here.
  const final = await synthesize({
    ...options,
    total: samples,
    completed,
    onIssue: undefined,
    onProgress: undefined,
    onSampleError: (error) => {
      if (!reported.has(error.id)) {
        options.onSampleError?.(error);
      }
    },
  });
  return combine(started, summaries, final, final.cancelled);
}

function combine(
  started: number,
  workers: Array<SynthSummary | undefined>,
  final: SynthSummary | undefined,
  cancelled: boolean,
): SynthSummary {
  const done = workers.filter((w): w is SynthSummary => !!w);
  const sum = (key: 'completed' | 'frames' | 'bytes'): number => done.reduce((n, w) => n + w[key], 0);
  const base: SynthSummary = final ?? {
    ...(done[0] ?? ({} as SynthSummary)),
    samples: done.reduce((n, w) => n + w.samples, 0),
    completed: 0,
    resumed: done.reduce((n, w) => n + w.resumed, 0),
    failed: done.reduce((n, w) => n + w.failed, 0),
    frames: 0,
    bytes: 0,
    errors: done.flatMap((w) => w.errors),
    dataset: undefined,
  };
  const workerCompleted = sum('completed');
  const summary: SynthSummary = {
    ...base,
    cancelled,
    completed: workerCompleted + (final?.completed ?? 0),
    resumed: final ? final.resumed - workerCompleted : base.resumed,
    frames: sum('frames') + (final?.frames ?? 0),
    bytes: sum('bytes') + (final?.bytes ?? 0),
    processes: done.length,
    peakRssMB: Math.max(final?.peakRssMB ?? 0, ...done.map((w) => w.peakRssMB)),
    seconds: (performance.now() - started) / 1000,
  };
  summary.framesPerSecond = summary.seconds > 0 ? summary.frames / summary.seconds : 0;
  summary.ok = !cancelled && summary.samples > 0 && summary.completed + summary.resumed > 0;
  return summary;
}
