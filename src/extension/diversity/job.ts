/**
 * The diversity computation off the extension host: a `dist/worker.js diversity` process per run (killed on cancel),
 * and its results cached in the extension's global storage under a key made of each file's content hash (sha256 of
 * its bytes, streamed) and the settings (labels, seed, sample, fields), so reopening the same datasets is instant.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetSpec } from '../../core/diversity/measure';
import type { FieldMapping } from '../../core/model';
import { writeFileAtomic } from '../../core/util/fsutil';
import { forkWorker, workerScript } from '../../core/util/worker';
import { parseDiversityResults, type DiversityResults } from '../../shared/protocol/diversity';
import type { DiversityJob, DiversityJobReply } from '../../worker/diversity';

/** Bumped whenever the results' content changes for the same input, so old cache entries are not read. */
export const DIVERSITY_CACHE_VERSION = 1;

export interface DiversitySettings {
  seed: number;
  sample?: number;
  fields?: FieldMapping;
}

/** sha256 of a file's bytes, read as a stream (a dataset can be larger than memory allows as one buffer). */
export async function fileHash(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { signal })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** The cache key of a computation: the files' content hashes, the labels and the settings. */
export async function cacheKey(specs: readonly DatasetSpec[], settings: DiversitySettings, signal?: AbortSignal): Promise<string> {
  const datasets = [];
  for (const spec of specs) {
    const hashes = [];
    for (const file of spec.files) {
      hashes.push(await fileHash(file, signal));
    }
    datasets.push({ label: spec.label, hashes });
  }
  const key = {
    version: DIVERSITY_CACHE_VERSION,
    datasets,
    seed: settings.seed,
    sample: settings.sample ?? null,
    fields: settings.fields ?? null,
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

/** Cached results for `key` in `dir`, or undefined (missing, unreadable or malformed: computed again). */
export async function readCached(dir: string, key: string): Promise<DiversityResults | undefined> {
  try {
    return parseDiversityResults(JSON.parse(await fs.promises.readFile(path.join(dir, `${key}.json`), 'utf8')));
  } catch {
    return undefined;
  }
}

export async function writeCached(dir: string, key: string, results: DiversityResults): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, `${key}.json`), JSON.stringify(results));
}

/**
 * Runs the computation in a worker process. `signal` kills the process and rejects with Error('cancelled');
 * `onProgress` hears each step in words. The results are validated before they are returned.
 */
export function runDiversityJob(
  specs: DatasetSpec[],
  settings: DiversitySettings,
  options: { signal?: AbortSignal; onProgress?: (text: string) => void } = {},
): Promise<DiversityResults> {
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = forkWorker(workerScript(), 'diversity');
    let settled = false;
    const finish = (error: Error | undefined, results?: DiversityResults): void => {
      if (settled) {
        return;
      }
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
      }
      if (error) {
        reject(error);
      } else {
        resolve(results!);
      }
    };
    const abort = (): void => finish(new Error('cancelled'));
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('message', (reply: DiversityJobReply) => {
      if (reply.type === 'progress') {
        options.onProgress?.(reply.text);
      } else if (reply.type === 'error') {
        finish(new Error(reply.message));
      } else {
        const results = parseDiversityResults(reply.results);
        finish(results ? undefined : new Error('the diversity worker sent malformed results'), results);
      }
    });
    child.on('error', (error) => finish(error));
    child.on('exit', (code, signal) =>
      finish(new Error(`the diversity worker stopped (${signal ?? `exit code ${code}`}) before it finished`)),
    );
    const job: DiversityJob = { type: 'run', specs, seed: settings.seed, sample: settings.sample, fields: settings.fields };
    child.send(job);
  });
}
