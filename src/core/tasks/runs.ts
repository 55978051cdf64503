/**
 * Run records: one `.t2vid-run.json` in each run's output folder, written atomically on every change, so a run
 * outlives the window that started it and can be found, followed and cancelled again.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILE, RUN_STATES, type RunRecord, type TaskSpec } from '../../shared/tasks';
import { writeFileAtomic } from '../util/fsutil';
import { RUN_LOG } from './plan';

export function newRun(spec: TaskSpec, extra: Partial<RunRecord> = {}): RunRecord {
  const now = new Date();
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return {
    id: `${stamp}-${spec.kind}-${randomBytes(2).toString('hex')}`,
    spec,
    state: 'queued',
    createdAt: now.toISOString(),
    log: path.join(spec.output, RUN_LOG),
    ...extra,
  };
}

export async function saveRun(run: RunRecord): Promise<void> {
  await fs.promises.mkdir(run.spec.output, { recursive: true });
  await writeFileAtomic(path.join(run.spec.output, RUN_FILE), JSON.stringify(run, null, 2) + '\n');
}

export async function loadRun(file: string): Promise<RunRecord> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const r = value as RunRecord;
  if (!r || typeof r.id !== 'string' || !RUN_STATES.includes(r.state) || typeof r.spec?.output !== 'string') {
    throw new Error(`${file}: not a T2Vid run record (id, state, spec.output)`);
  }
  return r;
}

/** Every run record under `roots` (down to `maxDepth` folders), newest first; unreadable records are reported. */
export async function findRuns(roots: readonly string[], maxDepth = 6, onError?: (message: string) => void): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && e.name === RUN_FILE) {
        try {
          runs.push(await loadRun(path.join(dir, e.name)));
        } catch (err) {
          onError?.((err as Error).message);
        }
      } else if (e.isDirectory() && depth < maxDepth && !['node_modules', '.git'].includes(e.name) && !/^checkpoint-\d+$/.test(e.name)) {
        await walk(path.join(dir, e.name), depth + 1);
      }
    }
  };
  for (const root of roots) {
    await walk(root, 0);
  }
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The last non-empty line of a log text. */
export function lastLine(text: string): string | undefined {
  const lines = text.split(/\r?\n|\r/).filter((l) => l.trim());
  return lines.length ? lines[lines.length - 1]!.slice(0, 500) : undefined;
}
