/**
 * The render processes (`dist/worker.js`): one place that finds the bundled worker entry and forks it, for the
 * parallel synth workers, the Frames view's preview process and the curation editor's strip process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../fonts';

/** What a worker process is started as: `node dist/worker.js ROLE [ARG]`. */
export const WORKER_ROLES = ['render', 'preview', 'strips', 'diversity'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** The bundled worker entry, if built. */
export function workerScript(): string | undefined {
  const file = path.join(packageRoot(), 'dist', 'worker.js');
  return fs.existsSync(file) ? file : undefined;
}

/** Forks `script` as a worker of `role` with an IPC channel (advanced serialization) and stderr passed through. */
export function forkWorker(script: string | undefined, role: WorkerRole, ...args: string[]): ChildProcess {
  if (!script) {
    throw new Error('the t2vid render process is missing (dist/worker.js): run `npm run build`');
  }
  return fork(script, [role, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
}
