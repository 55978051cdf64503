/**
 * A reusable assembly (`*.t2vid-assemble.json`): what "T2Vid: Assemble Training Set…" writes and `t2vid assemble
 * CONFIG` runs — mix, then export for one trainer (with its preflight). Relative paths are relative to the file's
 * folder, so a config committed with its data rebuilds the same set on a cluster.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import { issuePath } from '../../shared/protocol/schema';
import type { ReadIssue } from '../model';
import { writeFileAtomic } from '../util/fsutil';
import { ASSEMBLE_CONFIG_VERSION, MIX_SELECT_MODES, type AssembleConfig } from '../../shared/assemble';
import { EXPORT_FORMATS, FRAME_MODES, MODEL_PROFILE_IDS, PATH_MODES } from '../../shared/profiles';
import { exportTrainingSet, type ExportSummary } from './export';
import { checkMixOptions, DEFAULT_VIDEO_FRAMES, mix, sourceSha256, type MixSummary } from './mix';
import type { PreflightReport } from './preflight';
import { readAssembledManifest, type AssembledManifest } from './trainingSet';

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const paths = v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.maxLength(1000));

const AssembleConfigSchema = v.strictObject({
  version: v.literal(ASSEMBLE_CONFIG_VERSION),
  synthetic: paths,
  video: paths,
  countSynthetic: v.exactOptional(count),
  countVideo: v.exactOptional(count),
  ratio: v.exactOptional(v.pipe(v.number(), v.minValue(0), v.maxValue(0.999999))),
  videoFrames: v.exactOptional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000))),
  select: v.picklist(MIX_SELECT_MODES),
  seed: v.pipe(v.number(), v.integer()),
  profile: v.picklist(MODEL_PROFILE_IDS as [string, ...string[]]),
  format: v.picklist(EXPORT_FORMATS),
  frames: v.picklist(FRAME_MODES),
  paths: v.exactOptional(v.picklist(PATH_MODES)),
  maxFrames: v.exactOptional(count),
  tokenBudget: v.exactOptional(count),
  out: v.pipe(v.string(), v.minLength(1)),
});

/** The config in `value`, or an Error naming `file`, the JSON path and what is wrong. */
export function parseAssembleConfig(value: unknown, file: string): AssembleConfig {
  const result = v.safeParse(AssembleConfigSchema, value);
  if (!result.success) {
    const issue = result.issues[0];
    throw new Error(`${file}: ${issuePath(issue)}: ${issue.message}`);
  }
  const config = result.output as AssembleConfig;
  try {
    checkMixOptions(config);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (!config.synthetic.length && !config.video.length) {
    throw new Error(`${file}: $.synthetic: no source at all (synthetic and video are both empty)`);
  }
  return config;
}

/**
 * Where JSON.parse fails in `raw`: from V8's "at position N" when it says so, else found by bisection (a prefix that
 * ends before the fault fails only for ending early; one that holds it fails for another reason).
 */
function jsonErrorOffset(raw: string, message: string): number | undefined {
  const at = /position (\d+)/.exec(message);
  if (at) {
    return Number(at[1]);
  }
  if (raw.length > 1 << 20) {
    return undefined;
  }
  const endsEarly = (prefix: string): boolean => {
    try {
      JSON.parse(prefix);
      return true;
    } catch (e) {
      const m = (e as Error).message;
      const pos = /position (\d+)/.exec(m);
      return /end of (JSON )?input/i.test(m) || (pos !== null && Number(pos[1]) >= prefix.length);
    }
  };
  let lo = 0;
  let hi = raw.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endsEarly(raw.slice(0, mid + 1))) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

export async function readAssembleConfig(file: string): Promise<AssembleConfig> {
  let raw: string;
  try {
    raw = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    const at = jsonErrorOffset(raw, (e as Error).message);
    const line = at === undefined ? undefined : raw.slice(0, at).split('\n').length;
    throw new Error(`${file}${line ? `:${line}` : ''}: not valid JSON (${(e as Error).message})`);
  }
  return parseAssembleConfig(value, file);
}

/**
 * Writes the config atomically, pretty-printed. Paths inside `root` (default: the file's folder; the extension gives
 * the workspace folder) are written relative to the file's folder, so the config moves with its data; others absolute.
 */
export async function writeAssembleConfig(file: string, config: AssembleConfig, root?: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const base = path.resolve(root ?? dir);
  const inside = (p: string): boolean => {
    const r = path.relative(base, p);
    return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
  };
  const rel = (p: string): string => {
    const abs = path.resolve(dir, p);
    return inside(abs) ? path.relative(dir, abs).split(path.sep).join('/') || '.' : abs;
  };
  const out: AssembleConfig = {
    ...config,
    synthetic: config.synthetic.map(rel),
    video: config.video.map(rel),
    out: rel(config.out),
  };
  parseAssembleConfig(out, file);
  await writeFileAtomic(file, JSON.stringify(out, null, 2) + '\n');
}

export interface AssembleProgress {
  phase: 'mix' | 'export' | 'preflight';
  message: string;
  done?: number;
}

export interface AssembleSummary {
  mixDir: string;
  /** Undefined when an earlier mix with the same recipe and inputs was reused. */
  mix?: MixSummary;
  reused: boolean;
  exportDir: string;
  exportFile?: string;
  exportSummary: ExportSummary;
  preflight?: PreflightReport;
  ok: boolean;
}

/** The manifest of an earlier mix in `dir` made from the same inputs (same bytes) with the same recipe, if any. */
async function reusableMix(
  dir: string,
  config: AssembleConfig,
  synthetic: string[],
  video: string[],
): Promise<AssembledManifest | undefined> {
  const manifest = await readAssembledManifest(dir).catch(() => undefined);
  const r = manifest?.mix;
  if (!manifest || !r) {
    return undefined;
  }
  const byCounts = config.ratio === undefined;
  const same =
    r.select === config.select &&
    manifest.seed === config.seed &&
    r.videoFrames === (config.videoFrames ?? DEFAULT_VIDEO_FRAMES) &&
    r.ratio === (config.ratio ?? null) &&
    r.countSynthetic === (byCounts ? (config.countSynthetic ?? null) : null) &&
    r.countVideo === (byCounts ? (config.countVideo ?? null) : null) &&
    JSON.stringify(manifest.sources.map((s) => s.path)) === JSON.stringify([...synthetic, ...video]);
  if (!same) {
    return undefined;
  }
  for (const s of manifest.sources) {
    if (!s.sha256 || (await sourceSha256(s.path).catch(() => '')) !== s.sha256) {
      return undefined;
    }
  }
  return manifest;
}

/** Mix into `<out>/mix` (reused when its recipe and inputs are unchanged), then export into `<out>/<format>`. */
export async function runAssemble(
  config: AssembleConfig,
  configDir: string,
  options: { signal?: AbortSignal; onProgress?: (p: AssembleProgress) => void; onIssue?: (issue: ReadIssue) => void } = {},
): Promise<AssembleSummary> {
  const at = (p: string): string => path.resolve(configDir, p);
  const out = at(config.out);
  const synthetic = config.synthetic.map(at);
  const video = config.video.map(at);
  const mixDir = path.join(out, 'mix');
  const exportDir = path.join(out, config.format);
  let mixSummary: MixSummary | undefined;
  const reused = await reusableMix(mixDir, config, synthetic, video);
  if (reused) {
    options.onProgress?.({ phase: 'mix', message: `reusing the mix in ${mixDir} (same inputs and recipe)` });
  } else {
    mixSummary = await mix({
      synthetic,
      video,
      countSynthetic: config.countSynthetic,
      countVideo: config.countVideo,
      ratio: config.ratio,
      select: config.select,
      seed: config.seed,
      videoFrames: config.videoFrames,
      out: mixDir,
      signal: options.signal,
      onIssue: options.onIssue,
      onProgress: (message) => options.onProgress?.({ phase: 'mix', message }),
    });
  }
  options.onProgress?.({ phase: 'export', message: `exporting for ${config.format} (profile ${config.profile})` });
  const exportSummary = await exportTrainingSet({
    input: mixDir,
    format: config.format,
    out: exportDir,
    profile: config.profile,
    limits: {
      ...(config.maxFrames !== undefined ? { maxFrames: config.maxFrames } : {}),
      ...(config.tokenBudget !== undefined ? { tokenBudget: config.tokenBudget } : {}),
    },
    paths: config.paths,
    frames: config.frames,
    preflight: true,
    signal: options.signal,
    onIssue: options.onIssue,
    onProgress: (p) =>
      options.onProgress?.({ phase: 'export', message: `${p.written.toLocaleString('en-US')} samples written`, done: p.written }),
  });
  const report = exportSummary.preflight;
  return {
    mixDir,
    mix: mixSummary,
    reused: Boolean(reused),
    exportDir,
    exportFile: exportSummary.file,
    exportSummary,
    preflight: report,
    ok: exportSummary.ok && !exportSummary.cancelled,
  };
}
