/**
 * `dist/worker.js diversity`: one instruction-diversity computation (metrics and map) off the extension host. The
 * host sends one `run` message and hears `progress`, then `done` or `error`; it cancels by killing the process
 * (src/extension/diversity/job.ts). Each file problem goes to stderr as FILE:LINE: reason, as the CLI reports it.
 */
import type { FieldMapping } from '../core/model';
import type { DatasetSpec } from '../core/diversity/measure';
import { computeDiversity } from '../core/diversity/report';
import type { DiversityResults } from '../shared/protocol/diversity';

export interface DiversityJob {
  type: 'run';
  specs: DatasetSpec[];
  fields?: FieldMapping;
  sample?: number;
  seed: number;
}

export type DiversityJobReply =
  { type: 'progress'; text: string } | { type: 'done'; results: DiversityResults } | { type: 'error'; message: string };

export function runDiversityWorker(): void {
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));
  process.once('message', (job: DiversityJob) => {
    const send = (reply: DiversityJobReply): void => void process.send?.(reply);
    computeDiversity(job.specs, {
      fields: job.fields,
      sample: job.sample,
      seed: job.seed,
      onProgress: (text) => send({ type: 'progress', text }),
      onIssue: (issue) => process.stderr.write(`${issue.file}:${issue.line}: ${issue.message}\n`),
    }).then(
      (results) => send({ type: 'done', results }),
      (e: unknown) => send({ type: 'error', message: (e as Error).message ?? String(e) }),
    );
  });
}
