import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/helpers';

/** A .vscodeignore glob as vsce reads it (minimatch: `**` any depth, `*` and `?` within one path segment). */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}(?:/.*)?$`);
}

/** Whether the packaged extension (.vsix) keeps `file`: the last .vscodeignore line that matches decides. */
function shipped(rules: Array<{ negate: boolean; re: RegExp }>, file: string): boolean {
  let keep = true;
  for (const rule of rules) {
    if (rule.re.test(file)) {
      keep = rule.negate;
    }
  }
  return keep;
}

test('.vscodeignore ships every file the extension loads at run time (bundles, webview apps, fonts, sharp)', () => {
  const root = repoRoot();
  const rules = fs
    .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ negate: l.startsWith('!'), re: globToRegExp(l.replace(/^!/, '')) }));
  const webviewApps = fs.readdirSync(path.join(root, 'webview')).filter((d) => fs.existsSync(path.join(root, 'webview', d, 'main.ts')));
  assert.deepEqual(webviewApps.sort(), ['curation', 'frames']);
  const needed = [
    'package.json',
    'README.md',
    (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string }).main.replace(/^\.\//, ''),
    'dist/cli.js',
    'dist/worker.js',
    ...webviewApps.flatMap((app) => [`dist/webview/${app}.js`, `dist/webview/${app}.css`]),
    'dist/webview/vscode.css',
    ...fs.readdirSync(path.join(root, 'media', 'fonts')).map((f) => `media/fonts/${f}`),
    'media/t2vid.svg',
    'node_modules/sharp/package.json',
    path.relative(root, require.resolve('sharp')).split(path.sep).join('/'),
  ];
  for (const file of needed) {
    assert.ok(fs.existsSync(path.join(root, file)), `${file} exists after the build`);
    assert.ok(shipped(rules, file), `${file} is left out of the package by .vscodeignore`);
  }
  for (const file of ['src/extension/extension.ts', 'test/unit/packaging.test.ts', 'out/src/cli/main.js', 'node_modules/typescript/package.json']) {
    assert.ok(!shipped(rules, file), `${file} should not be packaged`);
  }
});
