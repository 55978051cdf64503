/**
 * Frame files are written synchronously on a local file system and through the thread pool elsewhere
 * (src/core/util/fsutil.ts isLocalFileSystem, SynthOptions.frameWrites): both ways give the same files, atomically
 * (no temp file left), and the file-system check tells a local disk from a pseudo file system.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveOptions } from '../../src/core/options';
import { synthesize } from '../../src/core/synth';
import { isLocalFileSystem } from '../../src/core/util/fsutil';
import { sharedData, tempDir } from '../support/helpers';

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && !entry.name.endsWith('manifest.json')) {
      const file = path.join(entry.parentPath, entry.name);
      out.set(path.relative(dir, file), fs.readFileSync(file));
    }
  }
  return out;
}

test(
  'isLocalFileSystem: the temp folder is local on Linux; /proc and a missing path are not',
  { skip: process.platform !== 'linux' },
  () => {
    assert.equal(isLocalFileSystem(os.tmpdir()), true, `${os.tmpdir()}: statfs type ${fs.statfsSync(os.tmpdir()).type.toString(16)}`);
    assert.equal(isLocalFileSystem('/proc'), false);
    assert.equal(isLocalFileSystem(path.join(os.tmpdir(), 'no-such-folder-t2vid')), false);
  },
);

test('frames written synchronously and through the thread pool are the same files, with no temp file left', async (t) => {
  const dir = tempDir(t);
  const input = path.join(dir, 'news.jsonl');
  const lines = fs.readFileSync(sharedData('long-text', 'leval-news_summ.jsonl'), 'utf8').split('\n').filter(Boolean);
  fs.writeFileSync(input, lines.slice(0, 2).join('\n') + '\n');
  const engine = resolveOptions({});
  const runs = new Map<string, Map<string, Buffer>>();
  for (const frameWrites of ['sync', 'async'] as const) {
    const out = path.join(dir, frameWrites);
    const summary = await synthesize({ inputs: [input], out, engine, frameWrites });
    assert.equal(summary.ok, true);
    assert.equal(summary.completed, 2);
    assert.ok(summary.frames > 10, `${summary.frames} frames`);
    const written = files(out);
    assert.deepEqual(
      [...written.keys()].filter((f) => f.endsWith('.tmp') || f.includes('.partial')),
      [],
      'no temp file is left',
    );
    assert.equal([...written.keys()].filter((f) => f.endsWith('.png')).length, summary.frames);
    runs.set(frameWrites, written);
  }
  assert.deepEqual(runs.get('async'), runs.get('sync'));
});
