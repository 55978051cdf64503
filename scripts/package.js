// `npm run package`: builds the VSIX with @vscode/vsce for the platform it runs on and prints its name, size and
// file list. The E2E harness (test/support/harness.ts) installs exactly this file into code-server.
//
// - With dependencies (not --no-dependencies): sharp is loaded at run time, so node_modules/sharp and its native
//   @img/sharp-<platform> binary must be in the package; .vscodeignore keeps those and drops everything else.
//   Only the binary for the building machine is installed, so the VSIX is platform-specific: `--target` names
//   that platform (e.g. linux-x64). Build another target on that platform (or after `npm install --os=… --cpu=…`
//   of sharp) with `npm run package -- --target darwin-arm64`.
// - README links stay relative (--no-rewrite-relative-links): package.json names no repository for vsce to
//   rewrite them against, and VS Code resolves them inside the installed extension (media/readme-frames.png is
//   packaged). --allow-missing-repository: no prompt for the missing `repository` field.
// vsce runs `vscode:prepublish` (the production esbuild) first.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** The vsce target of this machine (vsce's names: linux-x64, linux-arm64, alpine-x64, darwin-arm64, win32-x64, …). */
function hostTarget() {
  const musl = process.platform === 'linux' && !process.report?.getReport().header.glibcVersionRuntime;
  return `${musl ? 'alpine' : process.platform}-${process.arch}`;
}

/** The VSIX file name for `target`: vsce's own default, `<name>-<target>-<version>.vsix`. */
function vsixName(target) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return `${pkg.name}-${target}-${pkg.version}.vsix`;
}

/** The entries of a zip file (its central directory): name and uncompressed size. */
function zipEntries(file) {
  const buf = fs.readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) {
    eocd--;
  }
  if (eocd < 0) {
    throw new Error(`${file} is not a zip file (no end of central directory)`);
  }
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) {
      throw new Error(`${file}: bad central directory entry ${i}`);
    }
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    entries.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLength), size });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function main() {
  const args = process.argv.slice(2);
  const targetAt = args.indexOf('--target');
  const target = targetAt >= 0 ? args[targetAt + 1] : hostTarget();
  const out = path.join(root, vsixName(target));
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const run = spawnSync(
    process.execPath,
    [
      vsce,
      'package',
      '--target',
      target,
      '--out',
      out,
      '--no-rewrite-relative-links',
      '--allow-missing-repository',
      ...args.filter((_, i) => (i !== targetAt && i !== targetAt + 1) || targetAt < 0),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (run.status !== 0) {
    console.error(`package: vsce package failed (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
  const entries = zipEntries(out)
    .filter((e) => e.name.startsWith('extension/'))
    .map((e) => ({ name: e.name.slice('extension/'.length), size: e.size }));
  console.log(`\nVSIX files (${entries.length}):`);
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    console.log(`  ${String(e.size).padStart(10)}  ${e.name}`);
  }
  const unpacked = entries.reduce((n, e) => n + e.size, 0);
  console.log(`\n${path.basename(out)}: ${mb(fs.statSync(out).size)} (${entries.length} files, ${mb(unpacked)} unpacked)`);
}

if (require.main === module) {
  main();
}

module.exports = { hostTarget, vsixName, zipEntries };
