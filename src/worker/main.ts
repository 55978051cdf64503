/**
 * `dist/worker.js`: the render processes forked by src/core (never run by hand). The role is the first argument:
 * `render` (a parallel synth worker), `preview` CACHE_DIR (the Frames view), `strips` CACHE_DIR (curation strips),
 * `diversity` (the diversity view's metrics and map).
 */
import { runStripWorker } from '../core/curation/strips';
import { runWorker } from '../core/parallel';
import { runPreviewWorker } from '../core/previewClient';
import { WORKER_ROLES, type WorkerRole } from '../core/util/worker';
import { runDiversityWorker } from './diversity';

const [role, arg] = process.argv.slice(2) as [WorkerRole | undefined, string | undefined];
switch (role) {
  case 'render':
    runWorker();
    break;
  case 'preview':
    runPreviewWorker(arg ?? '');
    break;
  case 'strips':
    runStripWorker(arg ?? '');
    break;
  case 'diversity':
    runDiversityWorker();
    break;
  default:
    process.stderr.write(`t2vid worker: expected one of ${WORKER_ROLES.join(', ')}, got ${JSON.stringify(role)}\n`);
    process.exitCode = 2;
}
