/**
 * What every exporter module gives: the file it writes (JSON array or JSONL, as its trainer reads it), the entry of
 * one sample, how frames reach the model (image list or video, for the token budget), where relative paths resolve,
 * and `inspect`, the reverse used by preflight on any file of the format. Re-read the cited trainer files when a
 * framework changes (FORMATS.md names the commits).
 */
import type { ExportFormat, ModelProfile, ModelProfileId, PathMode, VisualInput } from '../../shared/profiles';
import type { TrainingSample } from '../assemble/trainingSet';

export type { PathMode } from '../../shared/profiles';

export interface EntryContext {
  profile: ModelProfile;
  /** 0-based position of the sample in the written file. */
  index: number;
}

/** What preflight needs from one record of the format. */
export interface Inspected {
  id?: string | number;
  /** Image paths as written. */
  images: string[];
  /** Placeholders in the text (what the loader matches with `images`). */
  placeholders: number;
  /** Placeholders the loader expects for `images` (one per image, or one per frame list). */
  expectedPlaceholders: number;
  /** Roles, normalised to user/assistant (anything else kept as written). */
  roles: string[];
  /** Every turn's content without placeholders (for the token budget). */
  texts: string[];
  visualInput: VisualInput;
}

export interface SideFileContext {
  out: string;
  /** Absolute path of the dataset file written. */
  file: string;
  samples: number;
  profile: ModelProfile;
}

export interface FormatSpec {
  format: ExportFormat;
  layout: 'json' | 'jsonl';
  /** The dataset's file name inside --out. */
  fileName: string;
  defaultProfile: ModelProfileId;
  defaultPaths: PathMode;
  /** What relative paths are relative to (said in the export's output and the README). */
  relativeTo: string;
  /** How `profile` receives the frames of this export. */
  visualInput(profile: ModelProfile): VisualInput;
  entry(sample: TrainingSample, frames: string[], ctx: EntryContext): unknown;
  inspect(record: unknown): Inspected | string;
  /** Files written beside the dataset (dataset_info.json, the InternVL meta JSON); returns their paths. */
  sideFiles?(ctx: SideFileContext): Promise<string[]>;
  /** A word for the person exporting (e.g. a trainer that cannot train this profile). */
  notice?(profile: ModelProfile): string | undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function countMatches(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0;
}

/** Turns as `{from: human|gpt, value}` (LLaVA, InternVL), the first prefixed with `prefix`. */
export function fromValueTurns(sample: TrainingSample, prefix: string): Array<{ from: 'human' | 'gpt'; value: string }> {
  return sample.turns.map((t, i) => ({ from: t.role === 'user' ? 'human' : 'gpt', value: i === 0 ? prefix + t.content : t.content }));
}

/** Turns as `{role, content}`, the first prefixed with `prefix`. */
export function roleContentTurns(sample: TrainingSample, prefix: string): Array<{ role: 'user' | 'assistant'; content: string }> {
  return sample.turns.map((t, i) => ({ role: t.role, content: i === 0 ? prefix + t.content : t.content }));
}

const FROM_ROLES: Record<string, string> = { human: 'user', gpt: 'assistant' };

/** Reads a conversation list of `{keyRole, keyText}` into roles and texts; an error string if malformed. */
export function readTurns(
  list: unknown,
  roleKey: string,
  textKey: string,
  placeholder: RegExp,
): { roles: string[]; texts: string[]; placeholders: number } | string {
  if (!Array.isArray(list)) {
    return `"${roleKey === 'from' ? 'conversations' : 'messages'}" must be a list`;
  }
  const roles: string[] = [];
  const texts: string[] = [];
  let placeholders = 0;
  for (let i = 0; i < list.length; i++) {
    const m: unknown = list[i];
    if (!isObject(m) || typeof m[roleKey] !== 'string' || typeof m[textKey] !== 'string') {
      return `turn ${i + 1} must be {${roleKey}: string, ${textKey}: string}`;
    }
    const role = m[roleKey];
    roles.push(FROM_ROLES[role] ?? role);
    placeholders += countMatches(m[textKey], placeholder);
    texts.push(m[textKey].replace(placeholder, ''));
  }
  return { roles, texts, placeholders };
}
