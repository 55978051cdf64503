/**
 * Preflight of an exported dataset, before a GPU hour is spent on it: the file is JSON or JSONL as its trainer
 * reads it; every record parses and has the format's fields; every image exists and decodes (sharp reads its
 * header); placeholders match the images; roles alternate user/assistant and end with the assistant; ids are unique;
 * frames and tokens hold for the profile. Each problem carries its line (and array index in a JSON array). Streams:
 * memory is bounded by one record, the ids seen, and a bounded cache of checked images.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { modelProfile, visualTokens, type ModelProfile, type ExportFormat } from '../../shared/profiles';
import type { ReadIssue } from '../model';
import { FORMAT_SPECS, formatOfFile } from '../writers/index';
import { INTERNVL_META } from '../writers/internvl';
import type { FormatSpec } from '../writers/format';
import { profileLimits, scriptWords, type FilterLimits } from './filters';
import { readerContext, readRecords } from './records';
import { tokenCounter, type TokenCountKind } from './tokens';
import { rolesProblem } from './trainingSet';

export const PROBLEM_KINDS = [
  'layout',
  'json',
  'record',
  'missing-image',
  'undecodable-image',
  'placeholders',
  'roles',
  'duplicate-id',
  'frames',
  'first-turn-words',
  'budget',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface PreflightProblem {
  kind: ProblemKind;
  /** 1-based line the record starts on. */
  line: number;
  /** 0-based index in the JSON array. */
  element?: number;
  message: string;
}

export interface PreflightReport {
  ok: boolean;
  file: string;
  format: ExportFormat;
  profile: string;
  /** How the file is laid out, and how its trainer reads it. */
  layout: { found: 'json' | 'jsonl' | 'empty'; expected: 'json' | 'jsonl' };
  records: number;
  images: number;
  /** Base of relative image paths. */
  mediaDir: string;
  limits: FilterLimits;
  tokenCount: TokenCountKind;
  /** Problems found, per kind (all of them, including those beyond `problems`). */
  counts: Partial<Record<ProblemKind, number>>;
  /** The first `maxProblems` problems, in file order. */
  problems: PreflightProblem[];
  seconds: number;
}

export interface PreflightOptions {
  format?: ExportFormat;
  profile?: string;
  /** Overrides of the profile's limits (0: none). */
  limits?: FilterLimits;
  /** Base of relative image paths (default: the meta root for InternVL, else the file's folder). */
  mediaDir?: string;
  maxProblems?: number;
  signal?: AbortSignal;
}

const VIDEO_FILE = /\.(mp4|mkv|avi|mov|webm|m4v|flv)$/i;
const IMAGE_CACHE_LIMIT = 200_000;

async function firstChar(file: string): Promise<string | undefined> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    for (let pos = 0; ;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (!bytesRead) {
        return undefined;
      }
      const text = buf
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
      const m = /\S/.exec(text);
      if (m) {
        return m[0];
      }
      pos += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

async function internvlRoot(file: string): Promise<string | undefined> {
  try {
    const meta: unknown = JSON.parse(await fs.promises.readFile(path.join(path.dirname(file), INTERNVL_META), 'utf8'));
    for (const entry of Object.values(meta as Record<string, { root?: unknown; annotation?: unknown }>)) {
      if (typeof entry.root === 'string' && typeof entry.annotation === 'string' && path.resolve(entry.annotation) === path.resolve(file)) {
        return entry.root;
      }
    }
  } catch {
    // no meta beside the file: relative paths resolve against the file's folder
  }
  return undefined;
}

export function resolveFormat(file: string, format?: string): FormatSpec {
  if (format) {
    const spec = (FORMAT_SPECS as Record<string, FormatSpec>)[format];
    if (!spec) {
      throw new Error(`unknown format ${JSON.stringify(format)}: one of ${Object.keys(FORMAT_SPECS).join(', ')}`);
    }
    return spec;
  }
  const spec = formatOfFile(file);
  if (!spec) {
    throw new Error(`${file}: cannot tell the format from the file name; pass --format (${Object.keys(FORMAT_SPECS).join(', ')})`);
  }
  return spec;
}

export function resolveProfile(id: string | undefined, spec: FormatSpec): ModelProfile {
  const profile = modelProfile(id ?? spec.defaultProfile);
  if (!profile) {
    throw new Error(`unknown profile ${JSON.stringify(id)}`);
  }
  return profile;
}

export async function preflight(file: string, options: PreflightOptions = {}): Promise<PreflightReport> {
  const started = performance.now();
  const spec = resolveFormat(file, options.format);
  const profile = resolveProfile(options.profile, spec);
  const limits = profileLimits(profile, options.limits);
  const counter = tokenCounter(profile);
  const maxProblems = options.maxProblems ?? 1000;
  const mediaDir = path.resolve(
    options.mediaDir ?? (spec.format === 'internvl' ? await internvlRoot(file) : undefined) ?? path.dirname(path.resolve(file)),
  );
  const report: PreflightReport = {
    ok: false,
    file,
    format: spec.format,
    profile: profile.id,
    layout: { found: 'empty', expected: spec.layout },
    records: 0,
    images: 0,
    mediaDir,
    limits,
    tokenCount: counter.kind,
    counts: {},
    problems: [],
    seconds: 0,
  };
  const add = (kind: ProblemKind, line: number, element: number | undefined, message: string): void => {
    report.counts[kind] = (report.counts[kind] ?? 0) + 1;
    if (report.problems.length < maxProblems) {
      report.problems.push(element === undefined ? { kind, line, message } : { kind, line, element, message });
    }
  };

  const first = await firstChar(file);
  report.layout.found = first === undefined ? 'empty' : first === '[' ? 'json' : 'jsonl';
  if (report.layout.found === 'empty') {
    add('layout', 1, undefined, 'the file is empty');
  } else if (report.layout.found !== spec.layout) {
    add(
      'layout',
      1,
      undefined,
      spec.layout === 'json'
        ? `JSONL where ${spec.format} expects one JSON array (its trainer reads the file with json.load)`
        : `a JSON array where ${spec.format} expects JSONL, one object a line`,
    );
  }
  if (spec.format === 'internvl' && !file.endsWith('.jsonl')) {
    add('layout', 1, undefined, "InternVL's loader asserts the annotation file name ends with .jsonl");
  }

  // Checked images: path → problem ('' when fine); bounded, cleared when full.
  const checked = new Map<string, { kind: ProblemKind; message: string } | null>();
  const checkImage = async (abs: string): Promise<{ kind: ProblemKind; message: string } | null> => {
    const known = checked.get(abs);
    if (known !== undefined) {
      return known;
    }
    let result: { kind: ProblemKind; message: string } | null = null;
    try {
      const st = await fs.promises.stat(abs);
      if (!st.isFile()) {
        result = { kind: 'missing-image', message: 'is not a file' };
      } else if (!VIDEO_FILE.test(abs)) {
        const meta = await sharp(abs).metadata();
        if (!meta.width || !meta.height) {
          result = { kind: 'undecodable-image', message: 'has no image size' };
        }
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      result =
        code === 'ENOENT' || code === 'ENOTDIR'
          ? { kind: 'missing-image', message: 'does not exist' }
          : { kind: 'undecodable-image', message: `does not decode: ${(e as Error).message}` };
    }
    if (checked.size >= IMAGE_CACHE_LIMIT) {
      checked.clear();
    }
    checked.set(abs, result);
    return result;
  };

  const ids = new Map<string, { line: number; element?: number }>();
  const ctx = readerContext(file, (issue: ReadIssue) => add('json', issue.line, issue.element, issue.message), options.signal);
  const layout = report.layout.found === 'json' ? 'json' : 'jsonl';
  if (report.layout.found !== 'empty') {
    for await (const record of readRecords(ctx, layout)) {
      report.records++;
      const { line, element } = record;
      const inspected = spec.inspect(record.value);
      if (typeof inspected === 'string') {
        add('record', line, element, inspected);
        continue;
      }
      if (inspected.id !== undefined) {
        const key = String(inspected.id);
        const seen = ids.get(key);
        if (seen) {
          add(
            'duplicate-id',
            line,
            element,
            `id ${JSON.stringify(key)} also at line ${seen.line}${seen.element !== undefined ? ` element ${seen.element}` : ''}`,
          );
        } else {
          ids.set(key, element === undefined ? { line } : { line, element });
        }
      }
      if (inspected.placeholders !== inspected.expectedPlaceholders) {
        add(
          'placeholders',
          line,
          element,
          `${inspected.placeholders} placeholder${inspected.placeholders === 1 ? '' : 's'} for ${inspected.expectedPlaceholders} image input${inspected.expectedPlaceholders === 1 ? '' : 's'}`,
        );
      }
      const roles = rolesProblem(inspected.roles);
      if (roles) {
        add('roles', line, element, roles);
      }
      report.images += inspected.images.length;
      const results = await Promise.all(inspected.images.map((p) => checkImage(path.isAbsolute(p) ? p : path.resolve(mediaDir, p))));
      results.forEach((r, i) => {
        if (r) {
          add(r.kind, line, element, `image ${i + 1} ${inspected.images[i]} ${r.message}`);
        }
      });
      const frames = inspected.images.length;
      if (limits.maxFrames !== undefined && frames > limits.maxFrames) {
        add('frames', line, element, `${frames} frames > ${limits.maxFrames} (${profile.id})`);
      }
      if (limits.maxFirstTurnWords !== undefined) {
        const words = scriptWords(inspected.texts[0] ?? '');
        if (words >= limits.maxFirstTurnWords) {
          add(
            'first-turn-words',
            line,
            element,
            `first user turn has ${words} words, the limit is < ${limits.maxFirstTurnWords} (${profile.id})`,
          );
        }
      }
      if (limits.tokenBudget !== undefined) {
        const text = counter.count(inspected.texts.join('\n'));
        const visual = visualTokens(frames, profile, inspected.visualInput);
        if (text + visual > limits.tokenBudget) {
          add(
            'budget',
            line,
            element,
            `${text} text tokens (${counter.kind}) + ${visual} visual tokens = ${text + visual} > ${limits.tokenBudget} (${profile.id})`,
          );
        }
      }
    }
  }
  report.ok = Object.keys(report.counts).length === 0;
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** `FILE:LINE: kind: message` / `FILE:LINE: element K: kind: message`. */
export function formatProblem(file: string, p: PreflightProblem): string {
  return `${file}:${p.line}:${p.element !== undefined ? ` element ${p.element}:` : ''} ${p.kind}: ${p.message}`;
}

/** The summary line: `preflight: 1200 records, 24000 images: ok` or `…: 3 problems (missing-image 2, roles 1)`. */
export function describePreflight(r: PreflightReport): string {
  const total = Object.values(r.counts).reduce((a, b) => a + (b ?? 0), 0);
  const head = `preflight ${r.file} (${r.format}, ${r.profile}, ${r.layout.expected.toUpperCase()}): ${r.records} records, ${r.images} images`;
  if (!total) {
    return `${head}: ok (text tokens ${r.tokenCount === 'exact' ? 'exact' : 'estimate'})`;
  }
  const kinds = Object.entries(r.counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `${head}: ${total} problem${total === 1 ? '' : 's'} (${kinds})${total > r.problems.length ? `, the first ${r.problems.length} listed` : ''}`;
}
