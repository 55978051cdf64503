/**
 * Reading real video instruction sets: the LLaVA, LLaMA-Factory / ms-swift and MVBench / TempCompass shapes, a
 * --fields mapping, `<video>` removed, bad records reported with file and line, and the shared MVBench / TempCompass
 * files read whole.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ReadIssue } from '../../src/core/model';
import {
  parseVideoFieldMapping,
  readVideoSamples,
  stripVideoPlaceholder,
  type VideoReadOptions,
  type VideoSample,
} from '../../src/core/assemble/videoSet';
import { sharedData, tempDir } from '../support/helpers';

async function read(file: string, options: VideoReadOptions = {}): Promise<{ samples: VideoSample[]; issues: ReadIssue[] }> {
  const issues: ReadIssue[] = [];
  const samples: VideoSample[] = [];
  for await (const s of readVideoSamples(file, { ...options, onIssue: (i) => issues.push(i) })) {
    samples.push(s);
  }
  return { samples, issues };
}

test('LLaVA, LLaMA-Factory / ms-swift and MVBench shapes give the same sample model', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'mixed.jsonl');
  const records = [
    {
      id: 'v_001',
      video: 'clips/a.mp4',
      conversations: [
        { from: 'human', value: '<video>\nWhat happens first?' },
        { from: 'gpt', value: 'A man opens a door.' },
        { from: 'human', value: 'And then?' },
        { from: 'gpt', value: 'He leaves.' },
      ],
    },
    {
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: [{ type: 'video' }, { type: 'text', text: '<video>Describe the clip.' }] },
        { role: 'assistant', content: 'A dog runs.' },
      ],
      videos: ['/abs/b.mp4'],
    },
    { question_id: 7, video: 'star/c.mp4', prompt: 'Which?\nA. one\nB. two\nAnswer with the option letter.', GT: 'B' },
    { id: 42, video: ['d.webm'], question: '<video> How many?', answer: 3 },
  ];
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const root = path.join(dir, 'root');
  const { samples, issues } = await read(file, { videoRoot: root });
  assert.deepEqual(issues, []);
  assert.equal(samples.length, 4);
  assert.deepEqual(samples[0], {
    id: 'v_001',
    video: 'clips/a.mp4',
    videoPath: path.join(root, 'clips', 'a.mp4'),
    turns: [
      { role: 'user', content: 'What happens first?' },
      { role: 'assistant', content: 'A man opens a door.' },
      { role: 'user', content: 'And then?' },
      { role: 'assistant', content: 'He leaves.' },
    ],
    source: { file, line: 1 },
  });
  assert.equal(samples[1]!.id, 'mixed-000002', 'no id: file stem and line');
  assert.equal(samples[1]!.videoPath, '/abs/b.mp4', 'an absolute path stays');
  assert.deepEqual(samples[1]!.turns, [
    { role: 'user', content: 'Describe the clip.' },
    { role: 'assistant', content: 'A dog runs.' },
  ]);
  assert.deepEqual(samples[2]!.turns, [
    { role: 'user', content: 'Which?\nA. one\nB. two\nAnswer with the option letter.' },
    { role: 'assistant', content: 'B' },
  ]);
  assert.equal(samples[3]!.id, '42');
  assert.equal(samples[3]!.video, 'd.webm');
  assert.deepEqual(samples[3]!.turns, [
    { role: 'user', content: 'How many?' },
    { role: 'assistant', content: '3' },
  ]);

  // Without --video-root, paths resolve against the dataset's folder.
  const own = await read(file);
  assert.equal(own.samples[0]!.videoPath, path.join(dir, 'clips', 'a.mp4'));
});

test('a record without a video or a user turn is a line-numbered issue; the rest are read', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(
    file,
    [
      JSON.stringify({ video: 'ok.mp4', prompt: 'fine?', GT: 'yes' }),
      JSON.stringify({ prompt: 'where is the video?', GT: 'A' }),
      JSON.stringify({ video: 'x.mp4', conversations: [{ from: 'gpt', value: 'an answer alone' }] }),
      JSON.stringify({
        video: 'x.mp4',
        conversations: [
          { from: 'human', value: '<video>' },
          { from: 'gpt', value: 'a' },
        ],
      }),
      JSON.stringify({ videos: ['a.mp4', 'b.mp4'], messages: [{ role: 'user', content: 'two?' }] }),
      JSON.stringify({ video: 'x.mp4', conversations: [{ from: 'narrator', value: 'hm' }] }),
      JSON.stringify({ video: 12, prompt: 'q' }),
      '{"video": "broken.mp4", ',
      JSON.stringify({ video: 'y.mp4', text: 'no turns' }),
      JSON.stringify(['not', 'an', 'object']),
      JSON.stringify({ video: 'last.mp4', conversations: [{ from: 'human', value: 'still read' }] }),
    ].join('\n') + '\n',
  );
  const { samples, issues } = await read(file);
  assert.deepEqual(
    samples.map((s) => s.video),
    ['ok.mp4', 'last.mp4'],
  );
  assert.deepEqual(
    issues.map((i) => [i.file, i.line, i.severity ?? 'skipped']),
    [2, 3, 4, 5, 6, 7, 8, 9, 10].map((line) => [file, line, 'skipped']),
  );
  const message = (line: number): string => issues.find((i) => i.line === line)!.message;
  assert.match(message(2), /no video/);
  assert.match(message(3), /no user turn/);
  assert.match(message(4), /no user turn/, 'a user turn that was only the placeholder');
  assert.match(message(5), /2 videos; one video per sample/);
  assert.match(message(6), /unknown role "narrator"/);
  assert.match(message(7), /not a video path \(got a number\)/);
  assert.match(message(9), /no turns: expected conversations.*keys here: video, text/);
  assert.match(message(10), /expected a JSON object, got an array/);
});

test('a JSON array gives element numbers; --fields maps other schemas', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'set.json');
  fs.writeFileSync(
    file,
    JSON.stringify([
      { meta: { clip: 'a.mp4' }, q: '<video>\nwhat?', a: 'that' },
      { meta: {}, q: 'no clip', a: 'x' },
    ]),
  );
  const fields = parseVideoFieldMapping('video=meta.clip,question=q,answer=a');
  const { samples, issues } = await read(file, { fields, videoRoot: dir });
  assert.equal(samples.length, 1);
  assert.deepEqual(samples[0]!.turns, [
    { role: 'user', content: 'what?' },
    { role: 'assistant', content: 'that' },
  ]);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.element, 1);
  assert.match(issues[0]!.message, /no video \(no "meta\.clip" field\)/);

  assert.throws(() => parseVideoFieldMapping('context=x'), /unknown key "context"; only video, question and answer/);
  assert.throws(() => parseVideoFieldMapping('video=a,video=b'), /"video" is given twice/);
  assert.throws(() => parseVideoFieldMapping('video='), /"video" needs a field path/);
});

test('stripVideoPlaceholder removes <video> and the line break after it', () => {
  assert.equal(stripVideoPlaceholder('<video>\nWhat?'), 'What?');
  assert.equal(stripVideoPlaceholder('What is shown? <video>'), 'What is shown?');
  assert.equal(stripVideoPlaceholder('<VIDEO> a <video> b'), 'a b');
});

test('the shared MVBench and TempCompass files read whole: prompt is the user turn (options kept), GT the answer', async () => {
  for (const name of ['mvbench.jsonl', 'tempcompass.jsonl']) {
    const file = sharedData('video-instructions', name);
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const { samples, issues } = await read(file, { videoRoot: '/videos' });
    assert.deepEqual(issues, [], name);
    assert.equal(samples.length, lines.length, name);
    const first = JSON.parse(lines[0]!) as { video: string; prompt: string; GT: string };
    assert.equal(samples[0]!.video, first.video);
    assert.equal(samples[0]!.videoPath, path.join('/videos', first.video));
    assert.deepEqual(samples[0]!.turns, [
      { role: 'user', content: first.prompt.trim() },
      { role: 'assistant', content: first.GT },
    ]);
    assert.match(samples[0]!.turns[0]!.content, /\nA\. /, 'options stay in the prompt');
  }
});
