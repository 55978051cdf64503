// Makes media/readme-preset.png: the same text as a frame of the T2Vid reference renderer (bench/baseline_pil.py, the
// paper's PIL code path, drawn with Arimo, Arial's metrics) and as a frame of `t2vid synth --preset t2vid`, side by
// side. Needs `npm run build` first and Debian's /usr/bin/python3 with python3-pil. Reproducible:
//   node scripts/readme-preset.js [--doc leval-news_summ.jsonl:9] [--frame 0] [--out media/readme-preset.png]
// The document is read in place from ../shared/data/long-text (never copied into the repository).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');

const root = path.join(__dirname, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const [file, line] = arg('--doc', 'leval-news_summ.jsonl:9').split(':');
const frame = Number(arg('--frame', '0'));
const out = path.resolve(root, arg('--out', 'media/readme-preset.png'));

function run(command, args) {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

async function main() {
  const source = path.join(root, '..', 'shared', 'data', 'long-text', file);
  const record = fs.readFileSync(source, 'utf8').split('\n')[Number(line) - 1];
  if (!record) {
    throw new Error(`${source}:${line}: no such line`);
  }
  const text = JSON.parse(record).input;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-readme-'));
  try {
    const arimo = path.join(root, 'media', 'fonts', 'Arimo-Regular.ttf');
    fs.writeFileSync(path.join(tmp, 'doc.jsonl'), JSON.stringify({ input: text }) + '\n');
    fs.writeFileSync(path.join(tmp, 'doc.txt'), text);
    const seed = JSON.parse(
      run('/usr/bin/python3', [
        'bench/baseline_pil.py',
        '--font',
        arimo,
        '--workers',
        '1',
        '--out',
        path.join(tmp, 'seed'),
        path.join(tmp, 'doc.jsonl'),
      ]),
    );
    run(process.execPath, [
      'dist/cli.js',
      'synth',
      path.join(tmp, 'doc.txt'),
      '--out',
      path.join(tmp, 'ours'),
      '--preset',
      't2vid',
      '--quiet',
    ]);
    const [id] = fs.readdirSync(path.join(tmp, 'ours', 'frames'));
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'ours', 'frames', id, 'manifest.json'), 'utf8'));
    const seedFrame = path.join(tmp, 'seed', 'doc_00000', `text_pic_${String(frame).padStart(5, '0')}.png`);
    const ourFrame = path.join(tmp, 'ours', manifest.frames[frame].path);

    const W = 448;
    const gap = 16;
    const label = 40;
    const caption = async (lines) =>
      sharp({ text: { text: lines, fontfile: arimo, font: 'Arimo 13px', width: W, dpi: 72, rgba: true } })
        .png()
        .toBuffer();
    const left = await caption(
      `<b>T2Vid reference</b> (PIL, <tt>bench/baseline_pil.py</tt>), Arimo 20 px\n` +
        `${seed.frames} frames, ${seed.clipped} clipped; text re-joined from tokens`,
    );
    const right = await caption(
      `<b>T2Vid Studio</b> <tt>t2vid synth --preset t2vid</tt>\n` +
        `${manifest.frames.length} frames, none clipped; the source text exactly`,
    );
    const framed = async (png) =>
      sharp(png).flatten({ background: '#ffffff' }).extend({ top: 1, bottom: 1, left: 1, right: 1, background: '#999999' }).toBuffer();
    await sharp({ create: { width: 2 * (W + 2) + gap, height: W + 2 + label, channels: 3, background: '#ffffff' } })
      .composite([
        { input: left, left: 1, top: 4 },
        { input: right, left: W + 2 + gap + 1, top: 4 },
        { input: await framed(seedFrame), left: 0, top: label },
        { input: await framed(ourFrame), left: W + 2 + gap, top: label },
      ])
      .toColourspace('b-w')
      .png({ palette: true, colours: 16, compressionLevel: 9 })
      .toFile(out + '.tmp');
    fs.renameSync(out + '.tmp', out);
    process.stdout.write(
      `${path.relative(root, out)}: ${file}:${line} frame ${frame}; reference ${seed.frames} frames (${seed.clipped} clipped), ours ${manifest.frames.length}; ${fs.statSync(out).size} bytes\n`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`readme-preset: ${e.message}\n`);
  process.exitCode = 1;
});
