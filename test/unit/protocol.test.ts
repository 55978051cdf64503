import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  DEFAULT_PANEL_SETTINGS,
  INLINE_MAX_BYTES,
  MAX_WINDOW,
  MODEL_PROFILES,
  PANEL_SETTING_CHECKS,
  SEGMENT_MODES,
  parseFromWebview,
  parseToWebview,
  type FromWebview,
  type PanelSettingKey,
  type PanelSettings,
  type StateMessage,
  type ToWebview,
} from '../../src/shared/protocol/frames';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const settings: PanelSettings = {
  'segment.mode': 'words',
  'segment.wordsPerFrame': 115,
  'render.fontSize': 20,
  'render.width': 448,
  'render.height': 448,
  'preview.modelProfile': 'minicpm-v-2.5',
};

function state(overrides: Record<string, unknown> = {}): StateMessage {
  return {
    type: 'frames/state',
    document: { name: 'lighthouse-keepers.md', kind: 'text' },
    message: null,
    settings: { ...settings },
    frames: [
      { index: 0, src: 'https://file+.vscode-resource.vscode-cdn.net/cache/0.png', range: [0, 640], words: 115 },
      { index: 1, src: 'https://file+.vscode-resource.vscode-cdn.net/cache/1.png', range: [640, 1200], words: 98 },
    ],
    start: 0,
    count: 2,
    complete: true,
    reveal: -1,
    wordsPerFrame: 106.5,
    width: 448,
    height: 448,
    rendering: false,
    renderMs: 42,
    version: 3,
    ...overrides,
  } as StateMessage;
}

/** `n` consecutive frames from position `start` (a window of a long document). */
function windowOf(start: number, n: number): Array<{ index: number; src: string; range: [number, number]; words: number }> {
  return Array.from({ length: n }, (_, i) => ({
    index: start + i,
    src: `https://file+.vscode-resource.vscode-cdn.net/cache/${start + i}.png`,
    range: [(start + i) * 600, (start + i + 1) * 600] as [number, number],
    words: 100,
  }));
}

/** A 1×1 grey PNG, base64 (what the host inlines for a frame the webview has not seen). */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==';

/** A copy of `value` with `edit` applied to it (for building malformed variants of a valid message). */
function variant<T>(value: T, edit: (v: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  edit(copy);
  return copy;
}

//#region host → webview

test('parseToWebview accepts every valid message type', () => {
  const valid: ToWebview[] = [
    state(),
    state({ document: null, message: 'Open a text document.', frames: [], wordsPerFrame: 0, renderMs: 0 }),
    state({ document: { name: 'data.jsonl', kind: 'sample', line: 12 } }),
    state({ document: { name: 'doc.md', kind: 'text' }, message: 'doc.md is empty', frames: [] }),
    state({ rendering: true, version: 0 }),
    state({ frames: [{ index: 0, src: '', range: [5, 5], words: 0 }] }),
    state({ frames: [{ index: 0, src: 'https://file+.vscode-resource.vscode-cdn.net/cache/0.png', range: [0, 5], words: 1, data: PNG }] }),
    state({
      settings: { ...settings, 'segment.mode': 'fit', 'render.width': 32, 'render.height': 8192, 'preview.modelProfile': 'llava-video' },
    }),
    // A long document: a window of frames deep in it, the count so far while it streams, the cursor's frame to reveal.
    state({ start: 2000, count: 2550, frames: windowOf(2000, 3), reveal: 2001 }),
    state({ start: 40, count: 43, complete: false, rendering: true, frames: windowOf(40, 3) }),
    state({ start: 0, count: 9000, frames: windowOf(0, MAX_WINDOW) }),
    { type: 'frames/range', version: 7, start: 120, frames: windowOf(120, 2) },
    { type: 'frames/range', version: 0, start: 5, frames: [] },
    { type: 'frames/highlight', index: 0 },
    { type: 'frames/highlight', index: -1 },
    { type: 'frames/highlight', index: 41 },
  ];
  for (const message of valid) {
    assert.deepEqual(parseToWebview(message), message, JSON.stringify(message).slice(0, 200));
  }
});

test('parseToWebview accepts every segment mode and model profile', () => {
  for (const mode of SEGMENT_MODES) {
    assert.ok(parseToWebview(state({ settings: { ...settings, 'segment.mode': mode } })), mode);
  }
  for (const profile of MODEL_PROFILES) {
    assert.ok(parseToWebview(state({ settings: { ...settings, 'preview.modelProfile': profile.id } })), profile.id);
  }
});

test('parseToWebview rejects malformed messages', () => {
  const ok = state();
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'state'],
    ['a number', 42],
    ['an array', [ok]],
    ['no type', variant(ok, (v) => delete v.type)],
    ['unknown type', { ...ok, type: 'reset' }],
    ['a from-webview type', { type: 'frames/ready' }],
    ['type of the wrong kind', { ...ok, type: 1 }],
    ['type from the prototype', { type: 'toString' }],
    ['missing field', variant(ok, (v) => delete v.version)],
    ['missing settings key', variant(ok, (v) => delete (v.settings as Record<string, unknown>)['render.height'])],
    ['extra field', { ...ok, html: '<img src=x onerror=alert(1)>' }],
    ['extra settings key', variant(ok, (v) => ((v.settings as Record<string, unknown>)['render.fontFile'] = '/etc/passwd'))],
    ['extra frame field', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].html = '<b>'))],
    ['extra document field', variant(ok, (v) => ((v.document as Record<string, unknown>).path = '/tmp'))],
    ['wrong type: rendering', { ...ok, rendering: 'yes' }],
    ['wrong type: version', { ...ok, version: '3' }],
    ['wrong type: negative version', { ...ok, version: -1 }],
    ['wrong type: fractional version', { ...ok, version: 1.5 }],
    ['wrong type: frames', { ...ok, frames: {} }],
    ['wrong type: document', { ...ok, document: 'doc.md' }],
    ['wrong type: document kind', { ...ok, document: { name: 'a', kind: 'binary' } }],
    ['wrong type: document line', { ...ok, document: { name: 'a', kind: 'sample', line: '3' } }],
    ['wrong type: message', { ...ok, message: 42 }],
    ['wrong type: wordsPerFrame NaN', { ...ok, wordsPerFrame: Number.NaN }],
    ['wrong type: renderMs Infinity', { ...ok, renderMs: Number.POSITIVE_INFINITY }],
    ['width 0', { ...ok, width: 0 }],
    ['height over 8192', { ...ok, height: 8193 }],
    ['out-of-range setting: words 0', { ...ok, settings: { ...settings, 'segment.wordsPerFrame': 0 } }],
    ['out-of-range setting: font 3', { ...ok, settings: { ...settings, 'render.fontSize': 3 } }],
    ['out-of-range setting: width 8193', { ...ok, settings: { ...settings, 'render.width': 8193 } }],
    ['out-of-range setting: fractional font', { ...ok, settings: { ...settings, 'render.fontSize': 20.5 } }],
    ['unknown segment mode', { ...ok, settings: { ...settings, 'segment.mode': 'paragraphs' } }],
    ['unknown model profile', { ...ok, settings: { ...settings, 'preview.modelProfile': 'gpt-9' } }],
    ['frame with a reversed range', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].range = [10, 5]))],
    ['frame with a one-element range', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].range = [0]))],
    ['frame with a three-element range', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].range = [0, 1, 2]))],
    ['frame with a negative range', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].range = [-1, 5]))],
    ['frame with a string range', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].range = '0-5'))],
    ['frame with a fractional range', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].range = [0.5, 5]))],
    ['frame without src', variant(ok, (v) => delete (v.frames as Array<Record<string, unknown>>)[0].src)],
    ['frame with a negative index', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].index = -1))],
    ['frame that is null', { ...ok, frames: [null] }],
    [
      'frame data that is not base64',
      variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].data = `${PNG.slice(0, -4)}<b>=`)),
    ],
    [
      'frame data with a data: prefix',
      variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].data = `data:image/png;base64,${PNG}`)),
    ],
    [
      'frame data that is not a PNG',
      variant(
        ok,
        (v) => ((v.frames as Array<Record<string, unknown>>)[0].data = 'PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4='),
      ),
    ],
    ['frame data with a bad length', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].data = PNG.slice(0, -1)))],
    ['frame data that is a number', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].data = 42))],
    ['frame data that is undefined', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].data = undefined))],
    ['huge frame src', variant(ok, (v) => ((v.frames as Array<Record<string, unknown>>)[0].src = 'x'.repeat(4097)))],
    ['huge document name', { ...ok, document: { name: 'n'.repeat(4097), kind: 'text' } }],
    ['huge message', { ...ok, message: 'm'.repeat(4097) }],
    ['window whose indexes are not start + i', state({ start: 10, count: 20, frames: windowOf(11, 2) })],
    ['window with a gap', state({ start: 0, count: 20, frames: [...windowOf(0, 1), ...windowOf(2, 1)] })],
    ['window past count', state({ start: 10, count: 11, frames: windowOf(10, 2) })],
    ['window of more than MAX_WINDOW frames', state({ start: 0, count: 9000, frames: windowOf(0, MAX_WINDOW + 1) })],
    ['negative start', state({ start: -1, frames: [] })],
    ['count missing', variant(ok, (v) => delete v.count)],
    ['complete as a string', { ...ok, complete: 'yes' }],
    ['reveal below -1', { ...ok, reveal: -2 }],
    ['range without version', { type: 'frames/range', start: 0, frames: [] }],
    ['range whose indexes are not start + i', { type: 'frames/range', version: 1, start: 4, frames: windowOf(5, 1) }],
    ['range of more than MAX_WINDOW frames', { type: 'frames/range', version: 1, start: 0, frames: windowOf(0, MAX_WINDOW + 1) }],
    ['range with an extra field', { type: 'frames/range', version: 1, start: 0, frames: [], count: 3 }],
    ['highlight without index', { type: 'frames/highlight' }],
    ['highlight below -1', { type: 'frames/highlight', index: -2 }],
    ['highlight with a string index', { type: 'frames/highlight', index: '3' }],
    ['highlight with an extra field', { type: 'frames/highlight', index: 3, scroll: true }],
  ];
  for (const [name, message] of cases) {
    assert.equal(parseToWebview(message), undefined, name);
  }
});

//#endregion

//#region webview → host

test('parseFromWebview accepts every valid message type', () => {
  const valid: FromWebview[] = [
    { type: 'frames/ready' },
    { type: 'frames/ready', restored: true },
    { type: 'frames/ready', restored: false },
    { type: 'frames/selectFrame', index: 0 },
    { type: 'frames/selectFrame', index: 12 },
    { type: 'frames/openFrame', index: 3 },
    { type: 'frames/exportFrames' },
    { type: 'frames/openSettings' },
    { type: 'frames/requestRange', version: 3, start: 0, end: 30 },
    { type: 'frames/requestRange', version: 0, start: 2500, end: 2500 + MAX_WINDOW },
    { type: 'frames/requestRange', version: 9, start: 7, end: 7 },
    { type: 'frames/updateSetting', key: 'segment.mode', value: 'sentences' },
    { type: 'frames/updateSetting', key: 'segment.wordsPerFrame', value: 115 },
    { type: 'frames/updateSetting', key: 'render.fontSize', value: 4 },
    { type: 'frames/updateSetting', key: 'render.width', value: 512 },
    { type: 'frames/updateSetting', key: 'render.height', value: 512 },
    { type: 'frames/updateSetting', key: 'preview.modelProfile', value: 'qwen2-vl' },
  ];
  for (const message of valid) {
    assert.deepEqual(parseFromWebview(message), message, JSON.stringify(message));
  }
});

test('updateSetting accepts exactly the values PANEL_SETTING_CHECKS allows', () => {
  const good: Record<PanelSettingKey, Array<string | number>> = {
    'segment.mode': [...SEGMENT_MODES],
    'segment.wordsPerFrame': [1, 115, 100000],
    'render.fontSize': [4, 20, 512],
    'render.width': [32, 448, 8192],
    'render.height': [32, 448, 8192],
    'preview.modelProfile': MODEL_PROFILES.map((p) => p.id),
  };
  const bad: Record<PanelSettingKey, unknown[]> = {
    'segment.mode': ['Words', '', 3, null],
    'segment.wordsPerFrame': [0, 100001, -5, 1.5, '115', Number.NaN],
    'render.fontSize': [3, 513, 20.5, '20'],
    'render.width': [31, 8193, '448'],
    'render.height': [0, 9000, 448.1],
    'preview.modelProfile': ['MiniCPM-Llama3-V 2.5', '', 96],
  };
  for (const key of Object.keys(PANEL_SETTING_CHECKS) as PanelSettingKey[]) {
    for (const value of good[key]) {
      assert.ok(PANEL_SETTING_CHECKS[key](value), `${key}=${String(value)}`);
      assert.ok(parseFromWebview({ type: 'frames/updateSetting', key, value }), `${key}=${String(value)}`);
    }
    for (const value of bad[key]) {
      assert.equal(PANEL_SETTING_CHECKS[key](value), false, `${key}=${String(value)}`);
      assert.equal(parseFromWebview({ type: 'frames/updateSetting', key, value }), undefined, `${key}=${String(value)}`);
    }
  }
});

test("the panel settings' checks and defaults are package.json's: bounds, enums and defaults of each t2vid.<key>", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: unknown } };
  const sections = (
    [] as Array<{ properties: Record<string, { type: string; minimum?: number; maximum?: number; enum?: unknown[]; default: unknown }> }>
  ).concat(pkg.contributes.configuration as never);
  const properties = Object.assign({}, ...sections.map((s) => s.properties)) as Record<
    string,
    { type: string; minimum?: number; maximum?: number; enum?: unknown[]; default: unknown }
  >;
  for (const key of Object.keys(PANEL_SETTING_CHECKS) as PanelSettingKey[]) {
    const setting = properties[`t2vid.${key}`];
    assert.ok(setting, `package.json declares t2vid.${key}`);
    const check = PANEL_SETTING_CHECKS[key];
    assert.equal(DEFAULT_PANEL_SETTINGS[key], setting.default, `${key}: default`);
    assert.ok(check(setting.default), `${key}: the default passes`);
    if (setting.enum) {
      for (const value of setting.enum) {
        assert.ok(check(value), `${key}: ${String(value)} passes`);
      }
      assert.equal(check('not-in-the-enum'), false, `${key}: only the enum passes`);
    } else {
      assert.equal(setting.type, 'integer', key);
      const { minimum, maximum } = setting as { minimum: number; maximum: number };
      assert.ok(check(minimum) && check(maximum), `${key}: [${minimum}, ${maximum}] pass`);
      assert.equal(check(minimum - 1), false, `${key}: below ${minimum}`);
      assert.equal(check(maximum + 1), false, `${key}: above ${maximum}`);
      assert.equal(check(minimum + 0.5), false, `${key}: not an integer`);
    }
  }
});

test('parseFromWebview rejects malformed messages', () => {
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ready'],
    ['an array', [{ type: 'frames/ready' }]],
    ['a function', () => ({ type: 'frames/ready' })],
    ['no type', {}],
    ['unknown type', { type: 'runCommand', command: 'workbench.action.terminal.new' }],
    ['a to-webview type', { type: 'frames/highlight', index: 1 }],
    ['type from the prototype', { type: '__proto__' }],
    ['type hasOwnProperty', { type: 'hasOwnProperty' }],
    ['type of the wrong kind', { type: ['frames/ready'] }],
    ['extra field on ready', { type: 'frames/ready', version: 2 }],
    ['ready with a string restored', { type: 'frames/ready', restored: 'yes' }],
    ['ready with a null restored', { type: 'frames/ready', restored: null }],
    ['extra field on exportFrames', { type: 'frames/exportFrames', folder: '/etc' }],
    ['requestRange ending before it starts', { type: 'frames/requestRange', version: 1, start: 10, end: 9 }],
    ['requestRange of more than MAX_WINDOW frames', { type: 'frames/requestRange', version: 1, start: 0, end: MAX_WINDOW + 1 }],
    ['requestRange with a negative start', { type: 'frames/requestRange', version: 1, start: -1, end: 3 }],
    ['requestRange without version', { type: 'frames/requestRange', start: 0, end: 3 }],
    ['requestRange with a fractional end', { type: 'frames/requestRange', version: 1, start: 0, end: 2.5 }],
    ['extra field on openSettings', { type: 'frames/openSettings', query: 'x' }],
    ['missing index', { type: 'frames/selectFrame' }],
    ['negative index', { type: 'frames/selectFrame', index: -1 }],
    ['fractional index', { type: 'frames/openFrame', index: 1.5 }],
    ['string index', { type: 'frames/openFrame', index: '1' }],
    ['huge index', { type: 'frames/openFrame', index: 1e12 }],
    ['extra field on selectFrame', { type: 'frames/selectFrame', index: 1, range: [0, 1] }],
    ['updateSetting without value', { type: 'frames/updateSetting', key: 'render.fontSize' }],
    ['updateSetting without key', { type: 'frames/updateSetting', value: 20 }],
    ['updateSetting with an unknown key', { type: 'frames/updateSetting', key: 'render.fontFile', value: '/tmp/x.ttf' }],
    ['updateSetting with a prototype key', { type: 'frames/updateSetting', key: 'constructor', value: 1 }],
    ['updateSetting with an extra field', { type: 'frames/updateSetting', key: 'render.fontSize', value: 20, target: 'global' }],
    ['updateSetting with an object value', { type: 'frames/updateSetting', key: 'render.fontSize', value: { valueOf: 20 } }],
    ['updateSetting with a boolean value', { type: 'frames/updateSetting', key: 'segment.mode', value: true }],
    ['updateSetting out of range', { type: 'frames/updateSetting', key: 'render.fontSize', value: 1000 }],
    ['updateSetting with a number as string', { type: 'frames/updateSetting', key: 'render.width', value: '448' }],
    ['updateSetting with a huge string', { type: 'frames/updateSetting', key: 'preview.modelProfile', value: 'x'.repeat(2 << 20) }],
  ];
  for (const [name, message] of cases) {
    assert.equal(parseFromWebview(message), undefined, name);
  }
});

test('a huge string over the limit is rejected; one at the limit is accepted', () => {
  const atLimit = state({ document: { name: 'n'.repeat(4096), kind: 'text' }, message: 'm'.repeat(4096) });
  assert.ok(parseToWebview(atLimit));
  assert.equal(parseToWebview(state({ document: { name: 'n'.repeat(1 << 21), kind: 'text' } })), undefined);
  assert.equal(parseToWebview(state({ message: 'm'.repeat(1 << 21) })), undefined);
  const frames = state().frames;
  assert.equal(parseToWebview(state({ frames: [{ ...frames[0], src: 's'.repeat(1 << 21) }] })), undefined);
  // Inline PNG data: up to INLINE_MAX_BYTES of PNG.
  const big = (bytes: number): string => `iVBORw0KGgo${'A'.repeat(Math.ceil(bytes / 3) * 4 - 11)}`;
  assert.ok(parseToWebview(state({ frames: [{ ...frames[0], data: big(INLINE_MAX_BYTES) }] })));
  assert.equal(parseToWebview(state({ frames: [{ ...frames[0], data: big(INLINE_MAX_BYTES + 3) }] })), undefined);
});

test('parsing never throws, whatever the input', () => {
  const odd: unknown[] = [
    Object.create(null),
    { type: 'frames/state', settings: null, frames: null },
    { type: 'frames/state', frames: [1, 2, 3] },
    { type: 'frames/updateSetting', key: 'segment.mode' },
    new Proxy({}, { get: () => 'state' }),
    Symbol('x'),
    10n,
  ];
  for (const message of odd) {
    assert.doesNotThrow(() => parseToWebview(message));
    assert.doesNotThrow(() => parseFromWebview(message));
  }
});

//#endregion

//#region webview sources

/** Every file under webview/ (all apps and webview/shared), relative to the repository root. */
function webviewFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return walk(path.join(ROOT, 'webview')).map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
}

test('no webview file inserts data as HTML', () => {
  const files = webviewFiles().filter((f) => /\.(ts|js)$/.test(f));
  // Both apps, the shared modules and the curation split are all covered (not a fixed list).
  for (const expected of [
    'webview/frames/main.ts',
    'webview/curation/main.ts',
    'webview/curation/rows.ts',
    'webview/shared/toolkit.ts',
    'webview/shared/ipc.ts',
    'webview/shared/dom.ts',
  ]) {
    assert.ok(files.includes(expected), `${expected} is scanned`);
  }
  const forbidden = [
    /\.innerHTML\b/,
    /\.outerHTML\b/,
    /\binsertAdjacentHTML\b/,
    /\bdocument\.write(ln)?\b/,
    /\bDOMParser\b/,
    /\bcreateContextualFragment\b/,
  ];
  for (const file of files) {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    assert.ok(source.length > 0, file);
    for (const pattern of forbidden) {
      assert.doesNotMatch(source, pattern, `${file} uses ${pattern.source}`);
    }
  }
  // The guard itself catches each form.
  for (const sample of [
    'el.innerHTML = x',
    'el.outerHTML = x',
    'el.insertAdjacentHTML("beforeend", x)',
    'document.write(x)',
    'document.writeln(x)',
  ]) {
    assert.ok(
      forbidden.some((p) => p.test(sample)),
      sample,
    );
  }
});

test('each webview app links the shared vscode.css, and it is the only base stylesheet', () => {
  const css = webviewFiles().filter((f) => f.endsWith('.css'));
  assert.deepEqual(css.sort(), [
    'webview/curation/curation.css',
    'webview/diversity/diversity.css',
    'webview/frames/frames.css',
    'webview/results/results.css',
    'webview/shared/vscode.css',
  ]);
  const base = fs.readFileSync(path.join(ROOT, 'webview/shared/vscode.css'), 'utf8');
  assert.match(base, /\[hidden\]\s*\{\s*display: none !important;/);
  for (const app of [
    'webview/frames/frames.css',
    'webview/curation/curation.css',
    'webview/diversity/diversity.css',
    'webview/results/results.css',
  ]) {
    assert.doesNotMatch(fs.readFileSync(path.join(ROOT, app), 'utf8'), /\[hidden\]\s*\{/, `${app} repeats the base`);
  }
  const html = fs.readFileSync(path.join(ROOT, 'src/extension/common/webviewHtml.ts'), 'utf8');
  assert.ok(
    html.indexOf("'vscode.css'") >= 0 && html.indexOf('<link href="${base}"') < html.indexOf('<link href="${style}"'),
    'vscode.css is linked before the app stylesheet',
  );
});

test('only the components module imports the toolkit', () => {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const importers = walk(path.join(ROOT, 'webview'))
    .filter((f) => /@vscode\/webview-ui-toolkit/.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
  assert.deepEqual(importers, ['webview/shared/toolkit.ts']);
});

//#endregion
