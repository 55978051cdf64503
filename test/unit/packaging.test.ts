/**
 * What the VSIX carries, asked of vsce itself (`listFiles`, the list `npm run package` zips): the bundles, the
 * webview apps, the fonts, the icon, the README's images, and sharp with its native binary for this platform —
 * and of node_modules nothing else. The E2E tests then install the VSIX itself (test/support/harness.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { listFiles, PackageManager } from '@vscode/vsce';
import type sharpType from 'sharp';
import { repoRoot, tempDir } from '../support/helpers';

async function packaged(): Promise<string[]> {
  const files = await listFiles({ cwd: repoRoot(), packageManager: PackageManager.Npm });
  return files.map((f) => f.split(path.sep).join('/')).sort();
}

test('the VSIX carries every file the extension loads at run time (bundles, webview apps, fonts, icon, sharp)', async () => {
  const root = repoRoot();
  const files = await packaged();
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; icon?: string };
  const webviewApps = fs.readdirSync(path.join(root, 'webview')).filter((d) => fs.existsSync(path.join(root, 'webview', d, 'main.ts')));
  assert.deepEqual(webviewApps.sort(), ['curation', 'diversity', 'frames', 'results']);
  const readmeImages = [...fs.readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((link) => !/^\w+:/.test(link));
  const needed = [
    'package.json',
    'README.md',
    'LICENSE',
    manifest.main.replace(/^\.\//, ''),
    'dist/cli.js',
    'dist/worker.js',
    'dist/vendor/wink-eng-lite-web-model.js',
    'dist/vendor/llama3-tokenizer.js',
    ...webviewApps.flatMap((app) => [`dist/webview/${app}.js`, `dist/webview/${app}.css`]),
    'dist/webview/vscode.css',
    ...fs.readdirSync(path.join(root, 'media', 'fonts')).map((f) => `media/fonts/${f}`),
    'media/embeddings/glove-6b-100d-50k.bin',
    'media/t2vid.svg',
    ...(manifest.icon ? [manifest.icon] : []),
    // vsce keeps README links relative (--no-rewrite-relative-links): the images must be in the package.
    ...readmeImages,
    'node_modules/sharp/package.json',
    path.relative(root, require.resolve('sharp')).split(path.sep).join('/'),
  ];
  for (const file of needed) {
    assert.ok(fs.existsSync(path.join(root, file)), `${file} exists after the build`);
    assert.ok(files.includes(file), `${file} is left out of the VSIX (.vscodeignore)`);
  }
  // sharp's native addon and libvips for this platform.
  const native = `node_modules/@img/sharp-${process.platform}-${process.arch}/`;
  assert.ok(
    files.some((f) => f.startsWith(native) && f.endsWith('.node')),
    `no ${native}**/*.node in the VSIX`,
  );
  assert.ok(
    files.some((f) => f.startsWith(`node_modules/@img/sharp-libvips-${process.platform}-${process.arch}/lib/libvips`)),
    'no libvips in the VSIX',
  );

  const modules = [
    ...new Set(
      files
        .filter((f) => f.startsWith('node_modules/'))
        .map((f) =>
          f
            .split('/')
            .slice(1, f.split('/')[1].startsWith('@') ? 3 : 2)
            .join('/'),
        ),
    ),
  ];
  const allowed = /^(sharp|detect-libc|semver|@img\/.+)$/;
  assert.deepEqual(
    modules.filter((m) => !allowed.test(m)),
    [],
    'only sharp and its own dependencies may come from node_modules (the rest is bundled)',
  );
  const unwanted = files.filter((f) => /^(src|test|out|webview|bench|scripts)\/|\.map$|\.ts$|\.vsix$|^node_modules\/sharp\/src\//.test(f));
  assert.deepEqual(unwanted, [], 'sources, tests, source maps or sharp sources in the VSIX');
});

test('sharp loads and renders text from the packaged node_modules files alone', async (t) => {
  const root = repoRoot();
  const files = (await packaged()).filter((f) => f.startsWith('node_modules/'));
  const dir = tempDir(t, 't2vid-vsix-modules-');
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  const sharp = require(path.join(dir, 'node_modules', 'sharp')) as typeof sharpType;
  const png = await sharp({
    text: { text: 'T2Vid 视频', fontfile: path.join(root, 'media', 'fonts', 'NotoSansSC-Regular.ttf'), font: 'Noto Sans SC 20', dpi: 72 },
  })
    .png()
    .toBuffer();
  const meta = await sharp(png).metadata();
  assert.ok((meta.width ?? 0) > 20 && (meta.height ?? 0) > 10, `rendered ${meta.width}×${meta.height}`);
});
