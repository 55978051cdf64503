/**
 * The diversity report (core/diversity/report.ts): self-contained (nothing to load, a CSP that allows exactly its
 * inline blocks), the results inlined so no text can break out of their block, JSON round trips, and the results
 * the view and the worker produce pass the view's schema. The browser side (no request, no script run from the
 * data) is checked in test/e2e/diversity.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  computeDiversity,
  readReportAssets,
  REPORT_DATA_ID,
  reportHtml,
  reportJson,
  scriptSafeJson,
  writeReport,
} from '../../src/core/diversity/report';
import { DIVERSITY_METRICS } from '../../src/shared/diversity';
import { parseDiversityResults, parseFromWebview, parseToWebview, type DiversityResults } from '../../src/shared/protocol/diversity';
import { cacheKey, readCached, runDiversityJob, writeCached } from '../../src/extension/diversity/job';
import { repoRoot, sharedData, tempDir } from '../support/helpers';

const XSS = `</script><script>alert(1)</script><!-- <img src=x onerror="alert(2)"> & \u2028 "quoted" 'single'`;

function results(): DiversityResults {
  const metrics = Object.fromEntries(
    DIVERSITY_METRICS.map((m, i) => [m.id, { value: i === 3 ? null : i / 7, sampleSize: 10 + i, definition: `def ${XSS}` }]),
  );
  const dataset = (label: string) => ({
    label,
    files: [`/data/${label}.jsonl`],
    instructionsRead: 12,
    input: { linesSkipped: 1, filesSkipped: 0, rowGroupsSkipped: 0, warnings: 2, invalidUtf8: 0 },
    seconds: 0.25,
    metrics,
    openings: [{ opening: XSS, count: 3 }],
    verbNoun: { verbs: [{ verb: XSS, count: 4, nouns: [{ noun: '<b>bold</b>', count: 2 }] }], english: 12, withPair: 4, total: 12 },
  });
  return {
    report: { seed: 3, vendiQ: 1, nearThreshold: 0.8, sample: null, datasets: [dataset('video'), dataset(XSS)] },
    map: {
      method: 'umap',
      seed: 3,
      datasets: ['video', XSS],
      points: [
        { dataset: 0, file: '/data/video.jsonl', line: 1, unit: 'line', text: 'What happens first?', x: 0.5, y: -1 },
        { dataset: 1, file: `/data/${XSS}.jsonl`, line: 7, unit: 'line', text: XSS, x: 2, y: 3 },
      ],
      counts: [
        { given: 12, sampled: 1, noEmbedding: 0 },
        { given: 12, sampled: 1, noEmbedding: 0 },
      ],
      definition: 'UMAP',
    },
  };
}

const ASSETS = { script: 'document.title = "app";', styles: ['body { color: red; }', '.x { margin: 0; }'] };

/** The text of each raw-text element of a tag, as an HTML parser would end it (at the first `</tag`). */
function blocks(html: string, tag: string): string[] {
  const out: string[] = [];
  const open = new RegExp(`<${tag}\\b[^>]*>`, 'gi');
  for (let m = open.exec(html); m; m = open.exec(html)) {
    const start = m.index + m[0].length;
    const end = html.toLowerCase().indexOf(`</${tag}`, start);
    assert.ok(end > 0, `an unclosed <${tag}>`);
    out.push(html.slice(start, end));
    open.lastIndex = end;
  }
  return out;
}

test('the results are inlined as one JSON block no text can leave, and read back unchanged', () => {
  const data = results();
  assert.ok(parseDiversityResults(data), 'the fixture is valid');
  const html = reportHtml(data, ASSETS);
  const scripts = blocks(html, 'script');
  assert.equal(scripts.length, 2, 'the data block and the app, nothing else');
  assert.equal(blocks(html, 'style').length, 1);
  // Every `<` of the data is escaped: the payload never appears as markup anywhere in the page.
  assert.ok(!html.includes('<img'), 'no markup from the data');
  assert.ok(!html.includes('<!--'), 'no comment opened by the data');
  assert.ok(!html.includes('<b>'));
  assert.ok(html.includes(`<script type="application/json" id="${REPORT_DATA_ID}">`));
  assert.deepEqual(JSON.parse(scripts[0]!), data);
  assert.deepEqual(JSON.parse(scriptSafeJson(data)), data);
  assert.ok(!/[<>&\u2028\u2029]/.test(scriptSafeJson(data)));
  // The title carries the labels HTML-escaped.
  const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
  assert.ok(title.includes('&lt;/script&gt;'), title);
});

test('self-contained: a CSP that allows exactly the inline script and style (by hash), and nothing to load', () => {
  const html = reportHtml(results(), ASSETS);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
  assert.ok(csp);
  const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
  assert.equal(directives['default-src'], "'none'");
  assert.equal(directives['script-src'], hash(ASSETS.script));
  assert.equal(directives['style-src'], hash(ASSETS.styles.join('\n')));
  assert.ok(!/https?:|\*/.test(csp), csp);
  // Outside the inlined blocks: no element that loads anything.
  const markup = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, '');
  const attributes = (markup.match(/<[a-z][^>]*>/gi) ?? []).join(' ');
  assert.ok(!/\s(src|href|srcset|action|poster|data)\s*=/i.test(attributes), attributes);
  assert.ok(!/<(link|iframe|object|embed|img|base)\b/i.test(markup), markup);
  // A bundle or stylesheet that would end its own block is refused.
  assert.throws(() => reportHtml(results(), { ...ASSETS, script: 'x = "</script>"' }), /cannot be inlined/);
  assert.throws(() => reportHtml(results(), { ...ASSETS, styles: ['a{}</STYLE>'] }), /cannot be inlined/);
});

test('the built app bundle inlines as it is: no http(s) load, no eval, no source map to fetch', () => {
  const assets = readReportAssets(repoRoot());
  assert.ok(!/sourceMappingURL/.test(assets.script.slice(-500)));
  assert.ok(!/\beval\(|new Function\(/.test(assets.script), 'CSP-safe: no eval');
  assert.ok(!/@import|url\(\s*['"]?https?:/i.test(assets.styles.join('\n')));
  const html = reportHtml(results(), assets);
  assert.equal(blocks(html, 'script').length, 2);
});

test('report.json is the CLI --json shape and round-trips; writeReport writes both atomically, making the folder', async (t) => {
  const dir = tempDir(t);
  const data = results();
  const html = path.join(dir, 'out', 'report.html');
  const json = path.join(dir, 'out', 'report.json');
  await writeReport(html, data, json, ASSETS);
  const back = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.deepEqual(Object.keys(back), ['seed', 'vendiQ', 'nearThreshold', 'sample', 'metrics', 'datasets']);
  assert.deepEqual(back.metrics, DIVERSITY_METRICS);
  assert.deepEqual(back.datasets, data.report.datasets);
  assert.deepEqual(parseDiversityResults({ report: back, map: data.map }), data);
  assert.equal(reportJson(data.report), fs.readFileSync(json, 'utf8'));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['report.html', 'report.json'], 'no temporary file left');
});

test('computeDiversity on a shared file: the view schema accepts it, the map points keep their lines', async () => {
  const file = sharedData('video-instructions', 'mvbench.jsonl');
  const phases: string[] = [];
  const out = await computeDiversity([{ label: 'mvbench', files: [file] }], { sample: 300, seed: 2, onProgress: (p) => phases.push(p) });
  assert.ok(parseDiversityResults(out), 'valid for the view');
  assert.equal(out.report.datasets[0]!.metrics.instructions!.value, 300);
  assert.equal(out.map.points.length, 300);
  assert.ok(phases.some((p) => /embeddings/.test(p)) && phases.some((p) => /^map of 300/.test(p)), phases.join(' | '));
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (const p of out.map.points.slice(0, 20)) {
    // The point's line holds its instruction (before placeholders/options are stripped: compare a prefix of words).
    const words = p.text.split(' ').slice(0, 3).join(' ');
    assert.ok(lines[p.line - 1]!.includes(JSON.stringify(words).slice(1, -1)), `${p.line}: ${words}`);
  }
});

test('t2vid diversity --report FILE writes the self-contained report of the same values as --json', (t) => {
  const dir = tempDir(t);
  const file = sharedData('video-instructions', 'tempcompass.jsonl');
  const cli = path.join(repoRoot(), 'dist', 'cli.js');
  const html = path.join(dir, 'r.html');
  const run = spawnSync(process.execPath, [cli, 'diversity', file, '--sample', '200', '--json', '--report', html], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  const page = fs.readFileSync(html, 'utf8');
  const inlined = JSON.parse(blocks(page, 'script')[0]!) as DiversityResults;
  assert.deepEqual(inlined.report.datasets, json.datasets);
  assert.equal(inlined.map.points.length, 200);
  assert.match(run.stderr, /wrote .*r\.html/);
});

test('the view protocol: each message is checked both ways, malformed ones are dropped', () => {
  const data = results();
  assert.ok(parseToWebview({ type: 'diversity/results', results: data, cached: false }));
  assert.ok(parseToWebview({ type: 'diversity/progress', text: 'n-grams…' }));
  assert.equal(parseToWebview({ type: 'diversity/results', results: data }), undefined, 'cached missing');
  const badPoint = { ...data, map: { ...data.map, points: [{ ...data.map.points[0]!, unit: 'page' }] } };
  assert.equal(parseToWebview({ type: 'diversity/results', results: badPoint, cached: false }), undefined);
  const nan = { ...data, map: { ...data.map, points: [{ ...data.map.points[0]!, x: Number.NaN }] } };
  assert.equal(parseDiversityResults(nan), undefined);
  assert.equal(parseToWebview({ type: 'frames/state' }), undefined);
  assert.deepEqual(parseFromWebview({ type: 'diversity/openPoint', point: 3 }), { type: 'diversity/openPoint', point: 3 });
  assert.equal(parseFromWebview({ type: 'diversity/openPoint', point: -1 }), undefined);
  assert.equal(parseFromWebview({ type: 'diversity/openPoint', point: 1.5 }), undefined);
  assert.equal(parseFromWebview({ type: 'diversity/openPoint', point: 3, file: '/etc/passwd' }), undefined, 'no path from the webview');
  assert.ok(parseFromWebview({ type: 'diversity/savePng', chart: 'map', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' }));
  assert.equal(parseFromWebview({ type: 'diversity/savePng', chart: 'map', dataUrl: 'data:text/html;base64,PGI+' }), undefined);
  assert.equal(parseFromWebview({ type: 'diversity/savePng', chart: 'table', dataUrl: 'data:image/png;base64,AA==' }), undefined);
  assert.deepEqual(parseFromWebview({ type: 'diversity/exportReport' }), { type: 'diversity/exportReport' });
});

test('the worker job: results equal the in-process computation; cancel kills the process; the cache key follows content and settings', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'tc.jsonl');
  fs.copyFileSync(sharedData('video-instructions', 'tempcompass.jsonl'), file);
  const specs = [{ label: 'tc', files: [file] }];
  const progress: string[] = [];
  const viaWorker = await runDiversityJob(specs, { seed: 1, sample: 200 }, { onProgress: (p) => progress.push(p) });
  const inProcess = await computeDiversity(specs, { seed: 1, sample: 200 });
  const strip = (r: DiversityResults) => ({
    ...r,
    report: { ...r.report, datasets: r.report.datasets.map((d) => ({ ...d, seconds: 0 })) },
  });
  assert.deepEqual(strip(viaWorker), strip(inProcess));
  assert.ok(
    progress.some((p) => /^map of 200/.test(p)),
    progress.join(' | '),
  );

  // Cancel on the first progress report: rejected with 'cancelled', the process gone.
  const controller = new AbortController();
  const started = Date.now();
  await assert.rejects(
    runDiversityJob(specs, { seed: 1 }, { signal: controller.signal, onProgress: () => controller.abort(new Error('cancelled')) }),
    /cancelled/,
  );
  assert.ok(Date.now() - started < 10_000);
  const workers = (): string[] =>
    spawnSync('ps', ['--ppid', String(process.pid), '-o', 'args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => /worker\.js diversity/.test(l));
  for (let i = 0; i < 50 && workers().length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(workers(), [], 'the cancelled worker process has exited');

  // Cache: the key changes with the bytes and the settings, not with the path; entries round-trip, junk reads as a miss.
  const key = await cacheKey(specs, { seed: 1 });
  const copy = path.join(dir, 'copy.jsonl');
  fs.copyFileSync(file, copy);
  assert.equal(await cacheKey([{ label: 'tc', files: [copy] }], { seed: 1 }), key);
  assert.notEqual(await cacheKey(specs, { seed: 2 }), key);
  assert.notEqual(await cacheKey(specs, { seed: 1, sample: 10 }), key);
  assert.notEqual(await cacheKey([{ label: 'other', files: [file] }], { seed: 1 }), key);
  fs.appendFileSync(copy, '{"question": "one more?"}\n');
  assert.notEqual(await cacheKey([{ label: 'tc', files: [copy] }], { seed: 1 }), key);
  const cacheDir = path.join(dir, 'cache');
  assert.equal(await readCached(cacheDir, key), undefined);
  await writeCached(cacheDir, key, viaWorker);
  assert.deepEqual(await readCached(cacheDir, key), viaWorker);
  fs.writeFileSync(path.join(cacheDir, `${key}.json`), '{"report": 1}');
  assert.equal(await readCached(cacheDir, key), undefined);
});
