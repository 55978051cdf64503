import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { exportTrainingSet } from '../../src/core/assemble/export';
import { AssembledSetWriter, readAssembledManifest, readTrainingSet, type TrainingSample } from '../../src/core/assemble/trainingSet';
import { repoRoot, sharedData } from '../support/helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function t2vid(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// One real L-Eval coursera document (67 frames at the defaults, 14 QA pairs), rendered once by the real CLI.
let dir: string;
let synthOut: string;
let record: { input: string; instructions: string[]; outputs: string[] };
let frames: string[];

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-export-'));
  const line = fs.readFileSync(sharedData('long-text', 'leval-coursera.jsonl'), 'utf8').split('\n')[0];
  record = JSON.parse(line) as typeof record;
  const input = path.join(dir, 'coursera.jsonl');
  fs.writeFileSync(input, line + '\n');
  synthOut = path.join(dir, 'synth');
  const r = t2vid(['synth', input, '--out', synthOut, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const frameDir = path.join(synthOut, 'frames', 'coursera-000001');
  frames = fs
    .readdirSync(frameDir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => path.join(frameDir, f));
  assert.ok(frames.length > 20, `${frames.length} frames`);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function exportCli(
  format: string,
  name: string,
  ...extra: string[]
): { out: string; code: number; stderr: string; summary: Record<string, unknown> } {
  const out = path.join(dir, name);
  const r = t2vid(['export', synthOut, '--format', format, '--out', out, '--json', ...extra]);
  return { out, code: r.code, stderr: r.stderr, summary: r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : {} };
}

const question = (k: number): string => record.instructions[k];
const answer = (k: number): string => record.outputs[k];

test('synth output with several QA pairs is valid JSON and reads as one sample per pair', async () => {
  const entries = JSON.parse(fs.readFileSync(path.join(synthOut, 'minicpm-v.json'), 'utf8')) as unknown[];
  assert.equal(entries.length, record.instructions.length);
  const samples: TrainingSample[] = [];
  for await (const s of readTrainingSet(synthOut)) {
    samples.push(s);
  }
  assert.equal(samples.length, record.instructions.length);
  assert.equal(samples[1].id, 'coursera-000001-q02');
  assert.deepEqual(samples[1].frames, frames);
  assert.deepEqual(samples[1].turns, [
    { role: 'user', content: question(1) },
    { role: 'assistant', content: answer(1) },
  ]);
  assert.equal(samples[1].origin, 'synthetic');
  assert.deepEqual(samples[1].source, { file: path.join(dir, 'coursera.jsonl'), line: 1 });
});

test('minicpm-v: JSON array, <image_NN> dict in frame order, placeholders + newline before the question, absolute paths', () => {
  const { out, code, summary, stderr } = exportCli('minicpm-v', 'minicpm');
  assert.equal(code, 0, stderr);
  assert.equal(summary.written, record.instructions.length);
  const text = fs.readFileSync(path.join(out, 'minicpm-v.json'), 'utf8');
  assert.equal(text[0], '[');
  const entries = JSON.parse(text) as Array<{
    id: string;
    image: Record<string, string>;
    conversations: Array<{ role: string; content: string }>;
  }>;
  const e = entries[2];
  assert.deepEqual(Object.keys(e).sort(), ['conversations', 'id', 'image']);
  assert.equal(e.id, 'coursera-000001-q03');
  assert.deepEqual(
    Object.keys(e.image),
    frames.map((_, i) => `<image_${String(i).padStart(2, '0')}>`),
  );
  assert.deepEqual(Object.values(e.image), frames);
  assert.deepEqual(e.conversations, [
    { role: 'user', content: frames.map((_, i) => `<image_${String(i).padStart(2, '0')}>\n`).join('') + question(2) },
    { role: 'assistant', content: answer(2) },
  ]);
  assert.equal((summary.preflight as { ok: boolean }).ok, true);
});

test('idefics3: the same shape in idefics3.json, Idefics3 limits (65 frames) apply', () => {
  const { out, code, summary } = exportCli('idefics3', 'idefics');
  assert.equal(code, frames.length > 65 ? 1 : 0, 'nothing written → exit 1');
  const filters = summary.filters as Array<{ name: string; limit: number; dropped: number }>;
  assert.deepEqual(filters[0], { name: 'max-frames', limit: 65, dropped: frames.length > 65 ? record.instructions.length : 0 });
  // With the limits lifted (67 × 169 also exceeds the 10240 budget), the entries are MiniCPM-V's shape.
  const lifted = exportCli('idefics3', 'idefics-all', '--max-frames', '0', '--token-budget', '0');
  assert.equal(lifted.code, 0, lifted.stderr);
  const entries = JSON.parse(fs.readFileSync(path.join(lifted.out, 'idefics3.json'), 'utf8')) as Array<{ image: Record<string, string> }>;
  assert.equal(Object.keys(entries[0].image)[0], '<image_00>');
  assert.ok(fs.existsSync(out));
});

test('ms-swift: JSONL, one <image> per frame before the question; videos [[frames]] for Qwen2-VL', () => {
  const { out, code, stderr } = exportCli('ms-swift', 'swift');
  assert.equal(code, 0, stderr);
  const lines = fs.readFileSync(path.join(out, 'ms-swift.jsonl'), 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, record.instructions.length);
  const e = JSON.parse(lines[0]) as { messages: unknown; images: string[] };
  assert.deepEqual(Object.keys(e), ['messages', 'images']);
  assert.deepEqual(e.images, frames);
  assert.deepEqual(e.messages, [
    { role: 'user', content: '<image>'.repeat(frames.length) + question(0) },
    { role: 'assistant', content: answer(0) },
  ]);
  const qwen = exportCli('ms-swift', 'swift-qwen', '--profile', 'qwen2-vl');
  assert.equal(qwen.code, 0, qwen.stderr);
  const v = JSON.parse(fs.readFileSync(path.join(qwen.out, 'ms-swift.jsonl'), 'utf8').split('\n')[0]) as {
    messages: Array<{ content: string }>;
    videos: string[][];
  };
  assert.deepEqual(v.videos, [frames]);
  assert.equal(v.messages[0].content, '<video>' + question(0));
  assert.equal(qwen.summary.tokenCount, 'estimate');
});

test('llamafactory: sharegpt JSON with paths relative to dataset_dir, and its dataset_info.json entry', () => {
  const { out, code, stderr } = exportCli('llamafactory', 'lf', '--profile', 'internvl2.5');
  assert.equal(code, 0, stderr);
  const entries = JSON.parse(fs.readFileSync(path.join(out, 't2vid_synth.json'), 'utf8')) as Array<{
    messages: Array<{ role: string; content: string }>;
    images: string[];
  }>;
  const e = entries[0];
  assert.deepEqual(Object.keys(e), ['messages', 'images']);
  assert.ok(e.images.every((p) => !path.isAbsolute(p)));
  assert.deepEqual(
    e.images.map((p) => path.resolve(out, p)),
    frames,
  );
  assert.equal(e.messages[0].content, '<image>'.repeat(frames.length) + question(0));
  // Identical to LLaMA-Factory's mllm_demo entry, under our name.
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'dataset_info.json'), 'utf8')), {
    t2vid_synth: {
      file_name: 't2vid_synth.json',
      formatting: 'sharegpt',
      columns: { messages: 'messages', images: 'images' },
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' },
    },
  });
  // Qwen2-VL (the default): one <video> and videos as a frame list; an existing dataset_info.json keeps its entries.
  fs.writeFileSync(path.join(out, 'dataset_info.json'), JSON.stringify({ mine: { file_name: 'x.json' } }));
  const qwen = t2vid(['export', synthOut, '--format', 'llamafactory', '--out', out]);
  assert.equal(qwen.code, 0, qwen.stderr);
  const info = JSON.parse(fs.readFileSync(path.join(out, 'dataset_info.json'), 'utf8')) as Record<string, { columns?: unknown }>;
  assert.deepEqual(Object.keys(info), ['mine', 't2vid_synth']);
  assert.deepEqual(info.t2vid_synth.columns, { messages: 'messages', videos: 'videos' });
  const v = (
    JSON.parse(fs.readFileSync(path.join(out, 't2vid_synth.json'), 'utf8')) as Array<{
      videos: string[][];
      messages: Array<{ content: string }>;
    }>
  )[0];
  assert.equal(v.videos.length, 1);
  assert.equal(v.messages[0].content, '<video>' + question(0));
  // LLaMA-Factory cannot train T2Vid's backbones: said.
  const minicpm = t2vid(['export', synthOut, '--format', 'llamafactory', '--out', path.join(dir, 'lf2'), '--profile', 'minicpm-v-2.5']);
  assert.match(minicpm.stderr, /LLaMA-Factory has no template for MiniCPM-Llama3-V 2\.5/);
});

test('llava-video: JSON array, image list relative to --image_folder, <image>\\n per frame, human/gpt turns', () => {
  const { out, code, stderr } = exportCli('llava-video', 'llava');
  assert.equal(code, 0, stderr);
  const entries = JSON.parse(fs.readFileSync(path.join(out, 'llava-video.json'), 'utf8')) as Array<{
    id: string;
    image: string[];
    conversations: Array<{ from: string; value: string }>;
  }>;
  const e = entries[0];
  assert.deepEqual(Object.keys(e), ['id', 'image', 'conversations']);
  assert.equal(e.id, 'coursera-000001-q01');
  assert.deepEqual(
    e.image.map((p) => path.resolve(out, p)),
    frames,
  );
  assert.deepEqual(e.conversations, [
    { from: 'human', value: '<image>\n'.repeat(frames.length) + question(0) },
    { from: 'gpt', value: answer(0) },
  ]);
});

test('internvl: JSONL with numeric ids, Frame-N: <image> lines, and the meta JSON', () => {
  const { out, code, stderr } = exportCli('internvl', 'internvl');
  assert.equal(code, 0, stderr);
  const lines = fs.readFileSync(path.join(out, 'internvl.jsonl'), 'utf8').trimEnd().split('\n');
  const entries = lines.map((l) => JSON.parse(l) as { id: number; image: string[]; conversations: Array<{ from: string; value: string }> });
  assert.deepEqual(
    entries.map((e) => e.id),
    entries.map((_, i) => i),
  );
  const e = entries[1];
  assert.deepEqual(Object.keys(e), ['id', 'image', 'conversations']);
  assert.deepEqual(
    e.image.map((p) => path.resolve(out, p)),
    frames,
  );
  assert.equal(e.conversations[0].from, 'human');
  assert.equal(e.conversations[0].value, frames.map((_, i) => `Frame-${i + 1}: <image>\n`).join('') + question(1));
  assert.deepEqual(e.conversations[1], { from: 'gpt', value: answer(1) });
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'internvl-meta.json'), 'utf8')), {
    t2vid_synth: {
      root: out,
      annotation: path.join(out, 'internvl.jsonl'),
      data_augment: false,
      max_dynamic_patch: 1,
      repeat_time: 1,
      length: record.instructions.length,
    },
  });
});

test('paths: --paths relative states its base; --frames copy and link place the frames under DIR/frames', () => {
  const rel = exportCli('minicpm-v', 'rel', '--paths', 'relative');
  assert.equal(rel.code, 0, rel.stderr);
  assert.deepEqual(rel.summary.relativeTo, {
    dir: rel.out,
    note: "the trainer's working directory (finetune_ds.sh runs from MiniCPM-V/finetune): run it from the export folder",
  });
  const e = (JSON.parse(fs.readFileSync(path.join(rel.out, 'minicpm-v.json'), 'utf8')) as Array<{ image: Record<string, string> }>)[0];
  assert.equal(Object.values(e.image)[0], path.relative(rel.out, frames[0]));

  // A stale file of the same size where a frame goes (another source folder of an earlier run) is replaced.
  const stale = path.join(dir, 'copy', 'frames', 'coursera-000001', 'frame_00000.png');
  fs.mkdirSync(path.dirname(stale), { recursive: true });
  fs.writeFileSync(stale, Buffer.alloc(fs.statSync(frames[0]).size, 7));
  const copy = exportCli('minicpm-v', 'copy', '--frames', 'copy');
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal(copy.summary.framesPlaced, frames.length, 'frames shared by the 14 pairs are copied once');
  const c = (JSON.parse(fs.readFileSync(path.join(copy.out, 'minicpm-v.json'), 'utf8')) as Array<{ image: Record<string, string> }>)[0];
  const first = Object.values(c.image)[0];
  assert.equal(first, path.join(copy.out, 'frames', 'coursera-000001', 'frame_00000.png'));
  assert.deepEqual(fs.readFileSync(first), fs.readFileSync(frames[0]));
  assert.notEqual(fs.statSync(first).ino, fs.statSync(frames[0]).ino);

  const link = exportCli('llava-video', 'link', '--frames', 'link');
  assert.equal(link.code, 0, link.stderr);
  const l = (JSON.parse(fs.readFileSync(path.join(link.out, 'llava-video.json'), 'utf8')) as Array<{ image: string[] }>)[0];
  assert.equal(l.image[0], 'frames/coursera-000001/frame_00000.png');
  assert.equal(fs.statSync(path.join(link.out, l.image[0])).ino, fs.statSync(frames[0]).ino);
});

test('filters through the CLI: dropped samples counted, written to --dropped with the reason', () => {
  const droppedFile = path.join(dir, 'dropped.jsonl');
  const r = exportCli('minicpm-v', 'filtered', '--max-frames', String(frames.length - 1), '--dropped', droppedFile);
  assert.equal(r.code, 1, 'every sample dropped: nothing written');
  assert.equal(r.summary.written, 0);
  assert.equal(r.summary.dropped, record.instructions.length);
  const dropped = fs
    .readFileSync(droppedFile, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as TrainingSample & { dropped: { filter: string; detail: string } });
  assert.equal(dropped.length, record.instructions.length);
  assert.deepEqual(dropped[0].dropped, { filter: 'max-frames', detail: `${frames.length} frames > ${frames.length - 1}` });
  assert.equal(dropped[0].frames.length, frames.length);
  // A budget that holds only the shorter samples.
  const ok = exportCli('minicpm-v', 'budget', '--token-budget', String(frames.length * 96 + 60));
  const kept = ok.summary.written as number;
  assert.ok(kept > 0 && kept < record.instructions.length, `${kept} kept`);
  assert.equal((ok.summary.filters as Array<{ name: string; dropped: number }>)[2].dropped, record.instructions.length - kept);
});

test('datasets with frames and assembled sets read back into the same samples', async () => {
  const original: TrainingSample[] = [];
  for await (const s of readTrainingSet(synthOut)) {
    original.push(s);
  }
  const strip = (s: TrainingSample): unknown => ({ frames: s.frames, turns: s.turns });
  for (const [format, file] of [
    ['llamafactory', 't2vid_synth.json'],
    ['llava-video', 'llava-video.json'],
    ['internvl', 'internvl.jsonl'],
    ['ms-swift', 'ms-swift.jsonl'],
    ['minicpm-v', 'minicpm-v.json'],
  ] as const) {
    const out = path.join(dir, `round-${format}`);
    await exportTrainingSet({ input: synthOut, format, out, profile: 'internvl2.5', preflight: false });
    const back: TrainingSample[] = [];
    for await (const s of readTrainingSet(path.join(out, file))) {
      back.push(s);
    }
    assert.deepEqual(back.map(strip), original.map(strip), format);
  }
  // An assembled set: written atomically with its manifest, read back, exported.
  const set = path.join(dir, 'set');
  const writer = new AssembledSetWriter(set);
  for (const s of original.slice(0, 3)) {
    await writer.add(s);
  }
  await writer.add({ ...original[3], id: 'v1', origin: 'video', frames: original[3].frames.slice(0, 24) });
  const manifest = await writer.close({ sources: [{ path: synthOut, kind: 'synth-output', samples: 4 }], seed: 7, filters: [] });
  assert.deepEqual(manifest.counts, { synthetic: 3, video: 1 });
  assert.deepEqual(manifest.frames, { total: frames.length * 3 + 24, min: 24, max: frames.length, mean: (frames.length * 3 + 24) / 4 });
  assert.equal((await readAssembledManifest(set)).seed, 7);
  const back: TrainingSample[] = [];
  for await (const s of readTrainingSet(set)) {
    back.push(s);
  }
  assert.deepEqual(back.slice(0, 3), original.slice(0, 3));
  assert.equal(back[3].origin, 'video');
  const r = t2vid(['export', set, '--format', 'ms-swift', '--out', path.join(dir, 'from-set')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /exported 4 of 4 samples/);
});

test('a bad dataset record is reported at its line and element, the rest exported', async () => {
  const file = path.join(dir, 'bad.json');
  const good = {
    messages: [
      { role: 'user', content: '<image>Q' },
      { role: 'assistant', content: 'A' },
    ],
    images: [frames[0]],
  };
  const badRoles = { messages: [{ role: 'assistant', content: 'A' }], images: [frames[0]] };
  fs.writeFileSync(
    file,
    `[\n${JSON.stringify(good)},\n${JSON.stringify(badRoles)}, {"messages": 3},\n${JSON.stringify({ ...good, videos: ['clip.mp4'] })}\n]\n`,
  );
  const issues: string[] = [];
  const samples: TrainingSample[] = [];
  for await (const s of readTrainingSet(file, { onIssue: (i) => issues.push(`${i.line}:${i.element}: ${i.message}`) })) {
    samples.push(s);
  }
  assert.equal(samples.length, 1);
  assert.equal(samples[0].id, 'bad-000002-e0');
  assert.deepEqual(issues, [
    '3:1: turn 1 is "assistant", expected user (turns alternate, user first)',
    '3:2: no known training-set fields (messages, conversations) among messages',
    '4:3: both images and videos: a training sample here has one frame list',
  ]);
});

test('--media-dir resolves the relative frames of a dataset; an output that is the input is refused', async () => {
  const file = path.join(dir, 'rel', 'data.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const rel = path.relative(path.join(dir, 'synth'), frames[0]);
  fs.writeFileSync(
    file,
    JSON.stringify({
      messages: [
        { role: 'user', content: '<image>Q' },
        { role: 'assistant', content: 'A' },
      ],
      images: [rel],
    }) + '\n',
  );
  const r = t2vid([
    'export',
    file,
    '--format',
    'minicpm-v',
    '--out',
    path.join(dir, 'rel-out'),
    '--media-dir',
    path.join(dir, 'synth'),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const e = (
    JSON.parse(fs.readFileSync(path.join(dir, 'rel-out', 'minicpm-v.json'), 'utf8')) as Array<{ image: Record<string, string> }>
  )[0];
  assert.deepEqual(e.image, { '<image_00>': frames[0] });
  // Without --media-dir the path resolves against the dataset's folder, where it does not exist: preflight says so.
  const missing = t2vid(['export', file, '--format', 'minicpm-v', '--out', path.join(dir, 'rel-out2')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /minicpm-v\.json:2: element 0: missing-image: image 1 .* does not exist/);
  const same = t2vid(['export', synthOut, '--format', 'minicpm-v', '--out', synthOut]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /the dataset file .*minicpm-v\.json is the input/);
});

test('a multi-turn sample keeps its turns; the frames go before the first question only', async () => {
  const set = path.join(dir, 'multi');
  const writer = new AssembledSetWriter(set);
  const turns: TrainingSample['turns'] = [
    { role: 'user', content: question(0) },
    { role: 'assistant', content: answer(0) },
    { role: 'user', content: question(1) },
    { role: 'assistant', content: answer(1) },
  ];
  await writer.add({ id: 'm1', frames: frames.slice(0, 3), turns, source: { file: 'x', line: 1 }, origin: 'synthetic' });
  await writer.close({ sources: [], seed: null, filters: [] });
  const swift = await exportTrainingSet({ input: set, format: 'ms-swift', out: path.join(dir, 'multi-swift') });
  assert.equal(swift.preflight?.ok, true, JSON.stringify(swift.preflight?.problems));
  const e = JSON.parse(fs.readFileSync(swift.file!, 'utf8')) as { messages: Array<{ role: string; content: string }> };
  assert.deepEqual(
    e.messages,
    turns.map((t, i) => ({ role: t.role, content: i === 0 ? '<image><image><image>' + t.content : t.content })),
  );
  const internvl = await exportTrainingSet({ input: set, format: 'internvl', out: path.join(dir, 'multi-internvl') });
  assert.equal(internvl.preflight?.ok, true, JSON.stringify(internvl.preflight?.problems));
  const v = JSON.parse(fs.readFileSync(internvl.file!, 'utf8')) as { conversations: Array<{ from: string; value: string }> };
  assert.deepEqual(
    v.conversations.map((c) => c.from),
    ['human', 'gpt', 'human', 'gpt'],
  );
  assert.equal(v.conversations[2].value, question(1));
});

test('CLI usage errors exit 2', () => {
  assert.equal(t2vid(['export', synthOut, '--out', path.join(dir, 'x')]).code, 2);
  assert.equal(t2vid(['export', synthOut, '--format', 'sharegpt', '--out', path.join(dir, 'x')]).code, 2);
  assert.equal(t2vid(['export', synthOut, '--format', 'ms-swift', '--out', path.join(dir, 'x'), '--paths', 'cwd']).code, 2);
  const missing = t2vid(['export', path.join(dir, 'nope'), '--format', 'ms-swift', '--out', path.join(dir, 'x')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such file or folder/);
});
