/**
 * The paper preset (`--preset t2vid`, `t2vid.render.preset`): what it resolves to, the precedence (table defaults <
 * preset < what the user set), bad values, and the CLI's frames: 448×448, Arimo (checked against the font's own
 * advance widths), blank side margins, the preset and the resolved options in every manifest.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as fontkit from 'fontkit';
import sharp from 'sharp';
import { engineFromArgs, UsageError } from '../../src/cli/common';
import { bundledFonts } from '../../src/core/fonts';
import { DEFAULT_RENDER, DEFAULT_SEGMENT, OptionError, PRESET_OPTIONS, resolveOptions, type EngineOptions } from '../../src/core/options';
import { Renderer } from '../../src/core/render';
import type { SampleManifest } from '../../src/core/synth';
import { isSetAnywhere, isValidSetting, type SettingName } from '../../src/shared/settings';
import { repoRoot, sharedData, tempDir } from '../support/helpers';

const PAPER: EngineOptions = {
  segment: { mode: 'words', wordsPerFrame: 115, countUnit: 'tokens', locale: '' },
  render: {
    ...DEFAULT_RENDER,
    preset: 't2vid',
    width: 448,
    height: 448,
    fontSize: 20,
    fontFamily: 'Arimo,Noto Sans SC,Noto Sans KR',
    marginX: 20,
    marginY: 0,
    lineSpacing: 0,
    align: 'left',
    foreground: '#000000',
    background: '#ffffff',
  },
};

test("preset t2vid resolves to the paper's frames; none is the defaults; every preset value is a valid setting", () => {
  assert.deepEqual(resolveOptions({ render: { preset: 't2vid' } }), PAPER);
  assert.deepEqual(resolveOptions({ render: { preset: 'none' } }), { segment: DEFAULT_SEGMENT, render: DEFAULT_RENDER });
  assert.deepEqual(resolveOptions(), { segment: DEFAULT_SEGMENT, render: { ...DEFAULT_RENDER, preset: 'none' } });
  for (const [preset, values] of Object.entries(PRESET_OPTIONS)) {
    for (const [group, options] of Object.entries(values)) {
      for (const [key, value] of Object.entries(options as object)) {
        assert.ok(isValidSetting(`${group}.${key}` as SettingName, value), `${preset}: ${group}.${key} = ${String(value)}`);
      }
    }
  }
});

test('precedence: what the user set beats the preset, which beats the defaults (core and CLI flags)', () => {
  const mixed = resolveOptions({
    segment: { mode: 'fit', countUnit: 'words' },
    render: { preset: 't2vid', fontSize: 24, marginY: 6, fontFamily: 'DejaVu Sans' },
  });
  assert.deepEqual(mixed, {
    segment: { ...PAPER.segment, mode: 'fit', countUnit: 'words' },
    render: { ...PAPER.render, fontSize: 24, marginY: 6, fontFamily: 'DejaVu Sans' },
  });
  // An option left undefined (a flag not given) does not hide the preset's value.
  assert.deepEqual(resolveOptions({ segment: { wordsPerFrame: undefined }, render: { preset: 't2vid', fontSize: undefined } }), PAPER);
  assert.deepEqual(engineFromArgs({ preset: 't2vid' }), PAPER);
  assert.deepEqual(engineFromArgs({ preset: 't2vid', 'font-size': '24', count: 'words', words: '90', margin: '10' }), {
    segment: { ...PAPER.segment, countUnit: 'words', wordsPerFrame: 90 },
    render: { ...PAPER.render, fontSize: 24, marginX: 10, marginY: 10 },
  });
  // --count without a preset: only the count changes.
  assert.deepEqual(engineFromArgs({ count: 'tokens' }).segment, { ...DEFAULT_SEGMENT, countUnit: 'tokens' });
});

test('a bad preset or count is an error naming the setting (core) or the flag (CLI)', () => {
  assert.throws(
    () => resolveOptions({ render: { preset: 'paper' as never } }),
    (e: unknown) =>
      e instanceof OptionError && e.setting === 'render.preset' && /preset must be none or t2vid, got "paper"/.test(e.message),
  );
  assert.throws(
    () => engineFromArgs({ preset: 'paper' }),
    (e: unknown) => e instanceof UsageError && e.message === '--preset must be none or t2vid, got "paper"',
  );
  assert.throws(
    () => engineFromArgs({ count: 'chars' }),
    (e: unknown) => e instanceof UsageError && e.message === '--count must be words or tokens, got "chars"',
  );
});

test('the preset draws in Arimo: the laid-out width is what Arimo’s advance widths give, not DejaVu Sans’s', async () => {
  const renderer = new Renderer(PAPER.render);
  const word = 'Hamburgefonstiv quickly';
  const block = await renderer.layout(word);
  assert.ok(block);
  const advance = (family: string): number => {
    const file = bundledFonts().find((f) => f.family === family)!.file;
    const font = fontkit.create(fs.readFileSync(file)) as fontkit.Font;
    return (font.layout(word).advanceWidth * 20) / font.unitsPerEm;
  };
  const arimo = advance('Arimo');
  const dejavu = advance('DejaVu Sans');
  assert.ok(Math.abs(block.width - arimo) <= 3, `ink ${block.width} px, Arimo advances ${arimo.toFixed(1)} px`);
  assert.ok(Math.abs(block.width - dejavu) > 10, `DejaVu Sans would be ${dejavu.toFixed(1)} px`);
});

test('t2vid synth --preset t2vid: 448×448 frames in Arimo, blank side margins, the preset in every manifest; a bad value is rc 2', async (t) => {
  const dir = tempDir(t);
  const lines = fs.readFileSync(sharedData('long-text', 'leval-news_summ.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 2);
  const input = path.join(dir, 'news.jsonl');
  fs.writeFileSync(input, lines.join('\n') + '\n');
  const cli = path.join(repoRoot(), 'dist', 'cli.js');
  const out = path.join(dir, 'out');
  const r = spawnSync(process.execPath, [cli, 'synth', input, '--out', out, '--preset', 't2vid', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ids = fs.readdirSync(path.join(out, 'frames'));
  assert.equal(ids.length, 2);
  let frames = 0;
  for (const id of ids) {
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'frames', id, 'manifest.json'), 'utf8')) as SampleManifest;
    assert.deepEqual(manifest.options, PAPER, `${id}: the preset and the resolved options are recorded`);
    for (const frame of manifest.frames) {
      const { data, info } = await sharp(path.join(out, frame.path)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [448, 448], `${frame.path}: 448×448`);
      for (let y = 0; y < 448; y++) {
        for (const x of [...Array(20).keys(), ...Array.from({ length: 20 }, (_, i) => 428 + i)]) {
          assert.equal(data[(y * 448 + x) * info.channels], 255, `${frame.path}: ink at (${x}, ${y}), in a side margin`);
        }
      }
      frames++;
    }
  }
  assert.ok(frames > 20, `${frames} frames`);
  for (const [flag, bad] of [
    ['--preset', 'paper'],
    ['--count', 'chars'],
  ]) {
    const e = spawnSync(process.execPath, [cli, 'synth', input, '--out', path.join(dir, 'bad'), flag, bad], { encoding: 'utf8' });
    assert.equal(e.status, 2, `${flag} ${bad}: ${e.stderr}`);
    assert.match(e.stderr, new RegExp(`${flag} must be`));
    assert.ok(!fs.existsSync(path.join(dir, 'bad', 'frames')), 'nothing written');
  }
});

test('VS Code settings: one set at any scope overrides the preset, one set nowhere does not', () => {
  assert.equal(isSetAnywhere(undefined), false);
  assert.equal(isSetAnywhere({}), false, 'only the default (package.json) exists');
  assert.equal(isSetAnywhere({ globalValue: undefined, workspaceValue: null }), false);
  for (const scope of [
    'globalValue',
    'workspaceValue',
    'workspaceFolderValue',
    'globalLanguageValue',
    'workspaceLanguageValue',
    'workspaceFolderLanguageValue',
  ]) {
    assert.equal(isSetAnywhere({ [scope]: 20 }), true, scope);
  }
  // A value equal to the default still counts as set: the user chose it, so the preset does not replace it.
  assert.equal(isSetAnywhere({ workspaceValue: 'DejaVu Sans,Noto Sans SC,Noto Sans KR' }), true);
});
