import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { resolveOptions, type RenderOptions, type SegmentMode } from '../../src/core/options';
import { FrameTooSmallError, paginate, type Page } from '../../src/core/paginate';
import { Renderer } from '../../src/core/render';
import { chinesePart, levalDocuments, sharedData, tempDir } from '../support/helpers';

async function pages(text: string, mode: SegmentMode, render: Partial<RenderOptions> = {}, wordsPerFrame = 115) {
  const options = resolveOptions({ segment: { mode, wordsPerFrame }, render });
  const renderer = new Renderer(options.render);
  const out: Page[] = [];
  for await (const page of paginate(text, renderer, { segment: options.segment })) {
    out.push(page);
  }
  return { renderer, pages: out, options };
}

/** Decoded pixels of a PNG: one grey value a pixel for grey frames. */
async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, info };
}

/** True if any pixel within `mx`/`my` of the frame's edges differs from the background. */
async function inkInMargins(png: Buffer, mx: number, my: number, background = 255): Promise<boolean> {
  const { data, info } = await pixels(png);
  const c = info.channels;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (y >= my && y < info.height - my && x >= mx && x < info.width - mx) {
        continue;
      }
      for (let k = 0; k < Math.min(c, 3); k++) {
        if (data[(y * info.width + x) * c + k] !== background) {
          return true;
        }
      }
    }
  }
  return false;
}

function pngHeader(png: Buffer): { bitDepth: number; colourType: number; width: number; height: number } {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), bitDepth: png[24], colourType: png[25] };
}

test('no frame clips: every margin is blank, on real documents, in all three modes', async () => {
  const docs = levalDocuments();
  const cases: Array<[SegmentMode, Partial<RenderOptions>, number]> = [
    ['words', {}, 115],
    ['sentences', {}, 115],
    ['fit', {}, 115],
    ['words', { fontSize: 28, width: 320, height: 240, marginX: 12, marginY: 10 }, 115],
    ['words', { fontSize: 14, lineSpacing: 6 }, 300],
  ];
  for (const [mode, render, n] of cases) {
    for (const doc of [docs[0], docs[20]]) {
      const text = doc.input.slice(0, 6000);
      const { renderer, pages: ps, options } = await pages(text, mode, render, n);
      assert.equal(ps.map((p) => p.text).join(''), text, `${mode}: frames cover the text exactly`);
      for (const p of ps) {
        assert.ok(renderer.fits(p.block), `${mode} frame ${p.index} fits`);
        const png = await renderer.encode(p.block);
        assert.equal(
          await inkInMargins(png, options.render.marginX, options.render.marginY),
          false,
          `${mode} frame ${p.index}: ink in the margins`,
        );
      }
    }
  }
});

test('words mode carries an overflowing 115-word run into the next frame; fit mode fills frames', async () => {
  const text = levalDocuments()[0].input.slice(0, 8000);
  const words = await pages(text, 'words');
  const fit = await pages(text, 'fit');
  assert.ok(fit.pages.length <= words.pages.length, 'fit never needs more frames than words');
  // A fit frame (but the last) is full: one more word would not fit.
  const r = fit.renderer;
  for (const p of fit.pages.slice(0, 3)) {
    const next = fit.pages[p.index + 1];
    const more = text.slice(p.range[0], next.range[0] + next.text.search(/\S\s|\S$/) + 1);
    assert.equal(r.fits(await r.layout(more)), false, `frame ${p.index} could hold more text`);
    assert.ok(p.block!.height > r.availHeight * 0.8, 'fit frames are nearly full');
  }
});

test('output is deterministic and greyscale 4-bit by default', async () => {
  const text = levalDocuments()[5].input.slice(0, 3000);
  const a = await pages(text, 'words');
  const b = await pages(text, 'words');
  const hash = async (ps: Page[], r: Renderer) =>
    createHash('sha256')
      .update(Buffer.concat(await Promise.all(ps.map((p) => r.encode(p.block)))))
      .digest('hex');
  assert.equal(await hash(a.pages, a.renderer), await hash(b.pages, b.renderer));
  const png = await a.renderer.encode(a.pages[0].block);
  assert.deepEqual(pngHeader(png), { width: 448, height: 448, bitDepth: 4, colourType: 0 });
  const meta = await sharp(png).metadata();
  assert.equal(meta.channels, 1);
  const eight = await pages(text, 'words', { bitDepth: 8 });
  assert.equal(pngHeader(await eight.renderer.encode(eight.pages[0].block)).bitDepth, 8);
});

test('colours and alignment are honoured', async () => {
  const { renderer, pages: ps } = await pages('Coloured text on a dark background.', 'words', {
    foreground: '#ffcc00',
    background: '#102030',
    align: 'centre',
  });
  const png = await renderer.encode(ps[0].block);
  assert.equal(pngHeader(png).colourType, 2, 'RGB for colours');
  const { data, info } = await pixels(png);
  assert.deepEqual([...data.subarray(0, 3)], [0x10, 0x20, 0x30], 'background colour');
  let ink = 0;
  let sumX = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * 3;
      if (data[i] === 0xff && data[i + 1] === 0xcc && data[i + 2] === 0x00) {
        ink++;
        sumX += x;
      }
    }
  }
  assert.ok(ink > 50, 'full-coverage pixels take the foreground colour');
  assert.ok(Math.abs(sumX / ink - 224) < 20, 'centred text sits in the middle');
});

test('a word longer than a line (a URL) wraps inside the frame; a frame too small for one character is an error', async () => {
  const url = 'https://example.org/' + 'a-very-long-path-segment/'.repeat(60);
  const { renderer, pages: ps, options } = await pages(`See ${url} for details.`, 'words', {}, 115);
  assert.ok(ps.length >= 2, 'the long word is split across frames');
  for (const p of ps) {
    assert.equal(await inkInMargins(await renderer.encode(p.block), options.render.marginX, options.render.marginY), false);
  }
  // One grapheme (a letter with 40 stacked accents) taller than the frame: nothing can split it.
  await assert.rejects(
    pages('e' + '\u0301'.repeat(40), 'words', { fontSize: 20, width: 100, height: 40, marginX: 0, marginY: 0 }),
    FrameTooSmallError,
  );
});

test('markup characters and control characters render as text', async () => {
  const { renderer, pages: ps } = await pages('a <b>bold</b> & <i>not</i> \u0001 \ud800 done', 'words');
  assert.equal(ps.length, 1);
  assert.ok(ps[0].block && ps[0].block.width > 200, 'the tags are drawn as characters, not applied');
  await renderer.encode(ps[0].block);
});

const hasTesseract = spawnSync('tesseract', ['--version']).status === 0;

function ocr(file: string, lang: string): string {
  return execFileSync('tesseract', [file, 'stdout', '-l', lang, '--psm', '6'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function wordRecall(truth: string, read: string): number {
  const norm = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const have = new Map<string, number>();
  for (const w of norm(read)) {
    have.set(w, (have.get(w) ?? 0) + 1);
  }
  const want = norm(truth);
  let hit = 0;
  for (const w of want) {
    const n = have.get(w) ?? 0;
    if (n > 0) {
      hit++;
      have.set(w, n - 1);
    }
  }
  return hit / want.length;
}

test(
  'OCR reads 4-bit frames as well as 8-bit ones (tesseract)',
  { skip: !hasTesseract && !process.env.CI ? 'tesseract not installed' : false },
  async (t) => {
    assert.ok(hasTesseract, 'tesseract-ocr must be installed (.ci/run installs it)');
    const dir = tempDir(t);
    const text = levalDocuments()[2].input.slice(0, 5000);
    let r4 = 0;
    let r8 = 0;
    let n = 0;
    for (const depth of [4, 8] as const) {
      const { renderer, pages: ps } = await pages(text, 'words', { bitDepth: depth });
      for (const p of ps.slice(0, 4)) {
        const file = path.join(dir, `f${depth}-${p.index}.png`);
        fs.writeFileSync(file, await renderer.encode(p.block));
        const recall = wordRecall(p.text, ocr(file, 'eng'));
        if (depth === 4) {
          r4 += recall;
          n++;
        } else {
          r8 += recall;
        }
      }
    }
    r4 /= n;
    r8 /= n;
    assert.ok(r4 > 0.95, `4-bit word recall ${r4.toFixed(3)}`);
    assert.ok(r4 >= r8 - 0.01, `4-bit (${r4.toFixed(3)}) is as readable as 8-bit (${r8.toFixed(3)})`);
  },
);

test(
  'Chinese renders with the bundled font, no tofu (OCR chi_sim)',
  { skip: !hasTesseract && !process.env.CI ? 'tesseract not installed' : false },
  async (t) => {
    assert.ok(hasTesseract, 'tesseract-ocr must be installed (.ci/run installs it)');
    const dir = tempDir(t);
    const all = fs.readFileSync(sharedData('seed-abstract-zh.txt'), 'utf8');
    const zh = chinesePart(all).trim().slice(0, 220);
    const { renderer, pages: ps } = await pages(zh, 'fit', { fontSize: 24 });
    const file = path.join(dir, 'zh.png');
    fs.writeFileSync(file, await renderer.encode(ps[0].block));
    const read = ocr(file, 'chi_sim').replace(/\s+/g, '');
    const truth = [...ps[0].text].filter((c) => /\p{Script=Han}/u.test(c));
    const got = new Set([...read]);
    const recall = truth.filter((c) => got.has(c)).length / truth.length;
    assert.ok(recall > 0.85, `Han characters read back: ${recall.toFixed(3)}`);
  },
);
