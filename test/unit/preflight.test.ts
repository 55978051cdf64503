import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { preflight, type PreflightProblem } from '../../src/core/assemble/preflight';
import { repoRoot, tempDir } from '../support/helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function t2vid(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function png(file: string): Promise<string> {
  await sharp({ create: { width: 448, height: 448, channels: 3, background: '#ffffff' } })
    .png()
    .toFile(file);
  return file;
}

type Entry = { id: string; image: Record<string, string>; conversations: Array<{ role: string; content: string }> };

function minicpm(id: string, images: string[], question = 'What is it?', answer = 'A test.'): Entry {
  const image: Record<string, string> = {};
  images.forEach((p, i) => (image[`<image_${String(i).padStart(2, '0')}>`] = p));
  return {
    id,
    image,
    conversations: [
      { role: 'user', content: images.map((_, i) => `<image_${String(i).padStart(2, '0')}>\n`).join('') + question },
      { role: 'assistant', content: answer },
    ],
  };
}

/** One entry a line inside the array, so entry k (0-based) is on line k + 2. */
function writeArray(file: string, entries: unknown[]): string {
  fs.writeFileSync(file, `[\n${entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
  return file;
}

const brief = (p: PreflightProblem): string => `${p.line}:${p.element}:${p.kind}`;

test('a clean export passes; each kind of problem is caught at its line and array index', async (t) => {
  const dir = tempDir(t);
  const a = await png(path.join(dir, 'a.png'));
  const b = await png(path.join(dir, 'b.png'));
  const broken = path.join(dir, 'broken.png');
  fs.writeFileSync(broken, Buffer.from('\x89PNG\r\n\x1a\n this is not a PNG body'));
  const clean = writeArray(path.join(dir, 'minicpm-v.json'), [minicpm('s1', [a, b]), minicpm('s2', ['b.png'])]);
  const ok = await preflight(clean);
  assert.equal(ok.ok, true, JSON.stringify(ok.problems));
  assert.equal(ok.records, 2);
  assert.equal(ok.images, 3);
  assert.equal(ok.tokenCount, 'exact');

  const badRoles = minicpm('s6', [a]);
  badRoles.conversations.reverse();
  const endsWithUser = minicpm('s7', [a]);
  endsWithUser.conversations.push({ role: 'user', content: 'and?' });
  const mismatch = minicpm('s4', [a, b]);
  mismatch.conversations[0].content = '<image_00>\nWhat is it?';
  const entries = [
    minicpm('s1', [a]), // fine
    minicpm('s2', [path.join(dir, 'missing.png')]),
    minicpm('s3', [broken]),
    mismatch,
    minicpm('s1', [b]), // duplicate id
    badRoles,
    endsWithUser,
    minicpm(
      's8',
      Array.from({ length: 91 }, () => a),
    ), // 91 frames > 90, and 91 × 96 > 8192
  ];
  fs.mkdirSync(path.join(dir, 'bad'));
  const file = writeArray(path.join(dir, 'bad', 'minicpm-v.json'), entries);
  const r = await preflight(file);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems.map(brief), [
    '3:1:missing-image',
    '4:2:undecodable-image',
    '5:3:placeholders',
    '6:4:duplicate-id',
    '7:5:roles',
    '8:6:roles',
    '9:7:frames',
    '9:7:budget',
  ]);
  assert.match(r.problems[0].message, /image 1 .*missing\.png does not exist/);
  assert.match(r.problems[2].message, /1 placeholder for 2 image inputs/);
  assert.match(r.problems[3].message, /id "s1" also at line 2 element 0/);
  assert.match(r.problems[4].message, /turn 1 is "assistant", expected user/);
  assert.match(r.problems[5].message, /ends with the assistant/);
  assert.match(r.problems[7].message, /\d+ text tokens \(exact\) \+ 8736 visual tokens = \d+ > 8192/);
  assert.deepEqual(r.counts, {
    'missing-image': 1,
    'undecodable-image': 1,
    placeholders: 1,
    'duplicate-id': 1,
    roles: 2,
    frames: 1,
    budget: 1,
  });
});

test('the hand-computed budget edge: 8 text tokens + 10 × 96 must fit 968, not 967', async (t) => {
  const dir = tempDir(t);
  const a = await png(path.join(dir, 'a.png'));
  const file = writeArray(path.join(dir, 'minicpm-v.json'), [
    minicpm(
      's',
      Array.from({ length: 10 }, () => a),
    ),
  ]);
  assert.equal((await preflight(file, { limits: { tokenBudget: 968 } })).ok, true);
  const over = await preflight(file, { limits: { tokenBudget: 967 } });
  assert.deepEqual(over.problems.map(brief), ['2:0:budget']);
  assert.match(over.problems[0].message, /^8 text tokens \(exact\) \+ 960 visual tokens = 968 > 967/);
});

test('JSON vs JSONL as each trainer reads it, with line numbers either way', async (t) => {
  const dir = tempDir(t);
  const a = await png(path.join(dir, 'a.png'));
  // MiniCPM-V reads one JSON array (json.load): JSONL is a problem, and its lines are still checked.
  const jsonl = path.join(dir, 'minicpm-v.json');
  fs.writeFileSync(jsonl, [minicpm('s1', [a]), minicpm('s1', [a])].map((e) => JSON.stringify(e)).join('\n') + '\n');
  const r = await preflight(jsonl);
  assert.deepEqual(r.problems.map(brief), ['1:undefined:layout', '2:undefined:duplicate-id']);
  assert.match(r.problems[0].message, /JSONL where minicpm-v expects one JSON array/);
  // ms-swift and InternVL read JSONL: a JSON array is a problem.
  const swift = path.join(dir, 'ms-swift.jsonl');
  fs.writeFileSync(
    swift,
    JSON.stringify([
      {
        messages: [
          { role: 'user', content: '<image>Q' },
          { role: 'assistant', content: 'A' },
        ],
        images: [a],
      },
    ]),
  );
  const s = await preflight(swift);
  assert.deepEqual(s.problems.map(brief), ['1:undefined:layout']);
  assert.match(s.problems[0].message, /a JSON array where ms-swift expects JSONL/);
  // Invalid JSON on a line, and a record without the format's fields.
  const broken = path.join(dir, 'internvl.jsonl');
  fs.writeFileSync(
    broken,
    [
      JSON.stringify({
        id: 0,
        image: ['a.png'],
        conversations: [
          { from: 'human', value: 'Frame-1: <image>\nQ' },
          { from: 'gpt', value: 'A' },
        ],
      }),
      '{"id": 1, "image": [',
      JSON.stringify({ id: 2, image: 'a.png', conversations: 'none' }),
    ].join('\n') + '\n',
  );
  const b = await preflight(broken);
  assert.deepEqual(b.problems.map(brief), ['2:undefined:json', '3:undefined:record']);
  assert.equal(b.tokenCount, 'estimate');
});

test('t2vid preflight: exit 0 when clean, 1 with problems (FILE:LINE: kind), 2 on bad usage; --json', async (t) => {
  const dir = tempDir(t);
  const a = await png(path.join(dir, 'a.png'));
  const clean = writeArray(path.join(dir, 'llava-video.json'), [
    {
      id: 'x',
      image: ['a.png'],
      conversations: [
        { from: 'human', value: '<image>\nQ' },
        { from: 'gpt', value: 'A' },
      ],
    },
  ]);
  const ok = t2vid(['preflight', clean]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /1 records, 1 images: ok \(text tokens estimate\)/);
  const bad = writeArray(path.join(dir, 'data.json'), [
    {
      id: 'x',
      image: [a, 'gone.png'],
      conversations: [
        { from: 'human', value: '<image>\nQ' },
        { from: 'gpt', value: 'A' },
      ],
    },
  ]);
  const r = t2vid(['preflight', bad, '--format', 'llava-video']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: element 0: placeholders: 1 placeholder for 2 image inputs`),
  );
  assert.match(r.stderr, /:2: element 0: missing-image: image 2 gone\.png does not exist/);
  const json = t2vid(['preflight', bad, '--format', 'llava-video', '--json']);
  assert.equal(json.code, 1);
  assert.deepEqual((JSON.parse(json.stdout) as { counts: unknown }).counts, { placeholders: 1, 'missing-image': 1 });
  assert.equal(t2vid(['preflight', bad]).code, 1, 'unknown file name without --format: an error');
  assert.match(t2vid(['preflight', bad]).stderr, /pass --format/);
  assert.equal(t2vid(['preflight', bad, '--format', 'sharegpt']).code, 2);
  assert.equal(t2vid(['preflight', bad, '--profile', 'gpt-4']).code, 2);
  assert.equal(t2vid(['preflight']).code, 2);
});

test('real-video items: LLaVA `video` with one <image>, InternVL `video` with one <video>; the file must exist', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'clip.mp4'), 'not decoded: a video file is only checked to exist');
  const llava = writeArray(path.join(dir, 'llava-video.json'), [
    {
      id: 'v1',
      video: 'clip.mp4',
      conversations: [
        { from: 'human', value: '<image>\nWhat happens?' },
        { from: 'gpt', value: 'A' },
      ],
    },
    {
      id: 'v2',
      video: 'gone.mp4',
      conversations: [
        { from: 'human', value: 'What happens?' },
        { from: 'gpt', value: 'A' },
      ],
    },
  ]);
  assert.deepEqual((await preflight(llava)).problems.map(brief), ['3:1:placeholders', '3:1:missing-image']);
  const internvl = path.join(dir, 'internvl.jsonl');
  fs.writeFileSync(
    internvl,
    JSON.stringify({
      id: 0,
      video: 'clip.mp4',
      conversations: [
        { from: 'human', value: '<video>\nWhat happens?' },
        { from: 'gpt', value: 'A' },
      ],
    }) + '\n',
  );
  assert.equal((await preflight(internvl)).ok, true);
});
