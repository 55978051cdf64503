/** Joining the per-shard datasets of a sharded run (`t2vid merge`) into one, checking that no shard is missing. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicStream, assertOutputNotInput } from './util/fsutil';
import { datasetFileName, type DatasetFormat } from './synth';

export interface MergeResult {
  shards: number;
  entries: number;
  file: string;
}

export async function mergeShards(dir: string, format: Exclude<DatasetFormat, 'none'>): Promise<MergeResult> {
  const base = datasetFileName(format);
  const stem = base.replace(/\.json$/, '');
  const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\.shard-(\\d{4})-of-(\\d{4})\\.json$`);
  const found = new Map<number, string>();
  let count: number | undefined;
  for (const name of await fs.promises.readdir(dir)) {
    const m = pattern.exec(name);
    if (!m) {
      continue;
    }
    const n = Number(m[2]);
    if (count !== undefined && n !== count) {
      throw new Error(`${dir} holds shards of runs split ${count} and ${n} ways; remove the stale ones first`);
    }
    count = n;
    found.set(Number(m[1]), path.join(dir, name));
  }
  if (count === undefined) {
    throw new Error(`no shard datasets (${stem}.shard-IIII-of-NNNN.json) in ${dir}`);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !found.has(i));
  if (missing.length) {
    throw new Error(
      `cannot merge ${dir}: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} not finished (no dataset file yet)`,
    );
  }
  // The merged file must not be one of the shards (a link planted under its name).
  await assertOutputNotInput(path.join(dir, base), [...found.values()], `the merged dataset`);
  const entries: Array<{ id: string }> = [];
  for (let i = 0; i < count; i++) {
    const file = found.get(i)!;
    let data: unknown;
    try {
      data = JSON.parse(await fs.promises.readFile(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(data)) {
      throw new Error(`${file}: expected a JSON array of entries`);
    }
    entries.push(...(data as Array<{ id: string }>));
  }
  // Ids are `<file-stem>-<line>`: sorting them restores a deterministic order, whatever the shard split.
  entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out = new AtomicStream(path.join(dir, base));
  try {
    await out.write('[');
    for (let i = 0; i < entries.length; i++) {
      await out.write((i ? ',\n' : '\n') + JSON.stringify(entries[i]));
    }
    await out.write(entries.length ? '\n]\n' : ']\n');
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
  return { shards: count, entries: entries.length, file: out.file };
}
