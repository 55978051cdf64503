/**
 * Real video instruction sets, read with the dataset readers (JSON, JSONL, Parquet; line-numbered issues) through
 * their `convert` hook. Detected shapes (first match wins):
 * - LLaVA-style `{id, video, conversations: [{from, value}]}` (also `[{role, content}]` turns);
 * - LLaMA-Factory / ms-swift `{messages: [{role, content}], videos: [...]}` (`video` also accepted; content may be a
 *   list of `{type: "text", text}` parts);
 * - MVBench / TempCompass `{video, prompt, GT}`: `prompt` is the user turn (options stay in it), `GT` the answer;
 *   `{video, question, answer}` likewise.
 * Or a `--fields` mapping `video=PATH,question=PATH[,answer=PATH]` (paths as in `resolveField`; the question may
 * also be a list of turns). `<video>` placeholders are removed from every turn; system turns are left out.
 * A record without a video or a user turn is a skipped line (an issue naming the file and line), never fatal.
 * Whether the video file exists is checked at extraction time (extractFrames.ts), per sample.
 */
import * as path from 'node:path';
import type { ReadIssue, SourceRef } from '../model';
import { readRecords, type RecordConverter, type RecordPosition } from '../readers/index';
import { describeKeys, describeValue, fieldPathSegments, isPlainRecord, recordId, reportIssue, resolveField } from '../readers/schema';

export interface VideoTurn {
  role: 'user' | 'assistant';
  content: string;
}

/** One real video sample. */
export interface VideoSample {
  /** The record's `id` (string or number) when it has one, else `<file-stem>-<line>` (as text samples). */
  id: string;
  /** The video as the record writes it. */
  video: string;
  /** `video` resolved against the video root (an absolute `video` stays as it is). */
  videoPath: string;
  /** User and assistant turns in order, `<video>` placeholders removed. */
  turns: VideoTurn[];
  source: SourceRef;
}

/** `--fields` for video sets: where the video, the question (user turn) and the answer are. */
export interface VideoFieldMapping {
  video?: string;
  question?: string;
  answer?: string;
}

export interface VideoReadOptions {
  /** The folder relative video paths are resolved against (default: the dataset file's folder). */
  videoRoot?: string;
  fields?: VideoFieldMapping;
  onIssue?: (issue: ReadIssue) => void;
  signal?: AbortSignal;
}

const VIDEO_KEYS = ['video', 'question', 'answer'] as const;

/**
 * Parses `"video=clip,question=prompt,answer=GT"`: only video, question and answer; values are field paths.
 * Throws an Error that quotes the spec and says what is wrong.
 */
export function parseVideoFieldMapping(spec: string): VideoFieldMapping {
  const fail = (why: string): never => {
    throw new Error(`Invalid field mapping "${spec}": ${why}. Expected e.g. "video=clip,question=prompt,answer=GT".`);
  };
  const mapping: VideoFieldMapping = {};
  if (spec.trim() === '') {
    fail('it is empty');
  }
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq < 0) {
      fail(part === '' ? 'empty entry (stray comma?)' : `"${part}" is not key=field`);
    }
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(VIDEO_KEYS as readonly string[]).includes(key)) {
      fail(`unknown key "${key}"; only video, question and answer can be mapped`);
    }
    const k = key as (typeof VIDEO_KEYS)[number];
    if (value === '' || !fieldPathSegments(value)) {
      fail(`"${key}" needs a field path (e.g. clip, meta.video or conversations[0].value)`);
    }
    if (mapping[k] !== undefined) {
      fail(`"${key}" is given twice`);
    }
    mapping[k] = value;
  }
  return mapping;
}

type Report = (message: string) => void;

/** `<video>` (with the line break or space after it) removed, surrounding whitespace trimmed. */
export function stripVideoPlaceholder(text: string): string {
  return text.replace(/<video>[ \t]*(?:\r?\n)?/giu, '').trim();
}

const USER_ROLES = new Set(['user', 'human']);
const ASSISTANT_ROLES = new Set(['assistant', 'gpt', 'model', 'bot']);

/** A turn's text: a string, or the text parts of a `[{type: "text", text}]` list joined by newlines. */
function contentText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value)) {
    const texts = value
      .filter((p) => isPlainRecord(p) && p.type === 'text' && typeof p.text === 'string')
      .map((p) => (p as { text: string }).text);
    return texts.length || value.length === 0 ? texts.join('\n') : undefined;
  }
  return undefined;
}

/** User/assistant turns from a list of `{from, value}` or `{role, content}`; undefined (reported) when unusable. */
function readTurns(list: unknown, field: string, report: Report): VideoTurn[] | undefined {
  if (!Array.isArray(list)) {
    report(`"${field}" is not a list (got ${describeValue(list)})`);
    return undefined;
  }
  const turns: VideoTurn[] = [];
  for (let i = 0; i < list.length; i++) {
    const item: unknown = list[i];
    if (!isPlainRecord(item)) {
      report(`${field}[${i}] is not an object (got ${describeValue(item)})`);
      return undefined;
    }
    const roleValue = item.from ?? item.role;
    const role = typeof roleValue === 'string' ? roleValue.toLowerCase() : undefined;
    const text = contentText(item.value ?? item.content);
    if (role === 'system') {
      continue;
    }
    if (role === undefined || (!USER_ROLES.has(role) && !ASSISTANT_ROLES.has(role))) {
      report(`${field}[${i}] has an unknown role ${JSON.stringify(roleValue ?? null)} (expected user/human or assistant/gpt)`);
      return undefined;
    }
    if (text === undefined) {
      report(`${field}[${i}] has no text (value/content is ${describeValue(item.value ?? item.content)})`);
      return undefined;
    }
    turns.push({ role: USER_ROLES.has(role) ? 'user' : 'assistant', content: stripVideoPlaceholder(text) });
  }
  return turns;
}

/** The one video of a record: a string, or a list holding exactly one string. */
function readVideo(value: unknown, field: string, report: Report): string | undefined {
  if (value === undefined || value === null) {
    report(`no video (no "${field}" field)`);
    return undefined;
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length !== 1) {
    report(`"${field}" lists ${list.length} videos; one video per sample is supported`);
    return undefined;
  }
  const [video] = list;
  if (typeof video !== 'string' || video.trim() === '') {
    report(`"${field}" is not a video path (got ${typeof video === 'string' ? 'an empty string' : describeValue(video)})`);
    return undefined;
  }
  return video.trim();
}

function pairTurns(question: unknown, answer: unknown, qField: string, aField: string, report: Report): VideoTurn[] | undefined {
  if (Array.isArray(question)) {
    return readTurns(question, qField, report);
  }
  if (typeof question !== 'string') {
    report(`question field "${qField}" is not a string (got ${describeValue(question)})`);
    return undefined;
  }
  const turns: VideoTurn[] = [{ role: 'user', content: stripVideoPlaceholder(question) }];
  if (answer !== undefined) {
    // MVBench's GT is a letter; some sets store numbers or booleans: written as text.
    if (typeof answer === 'string' || typeof answer === 'number' || typeof answer === 'boolean') {
      turns.push({ role: 'assistant', content: String(answer).trim() });
    } else {
      report(`answer field "${aField}" is not a string (got ${describeValue(answer)})`);
      return undefined;
    }
  }
  return turns;
}

/** The video and turns of one record, or undefined with the reasons reported. */
export function recordVideoSample(
  record: Record<string, unknown>,
  fields: VideoFieldMapping | undefined,
  report: Report,
): { video: string; turns: VideoTurn[] } | undefined {
  const has = (key: string): boolean => Object.hasOwn(record, key);
  let video: string | undefined;
  let turns: VideoTurn[] | undefined;
  if (fields?.video !== undefined) {
    video = readVideo(resolveField(record, fields.video), fields.video, report);
  } else {
    const key = has('video') ? 'video' : has('videos') ? 'videos' : 'video';
    video = readVideo(record[key], key, report);
  }
  if (fields?.question !== undefined) {
    const question = resolveField(record, fields.question);
    if (question === undefined) {
      report(`no field ${fields.question}; keys here: ${describeKeys(record)}`);
      return undefined;
    }
    const answer = fields.answer !== undefined ? resolveField(record, fields.answer) : undefined;
    if (fields.answer !== undefined && answer === undefined) {
      report(`no field ${fields.answer}`);
      return undefined;
    }
    turns = pairTurns(question, answer, fields.question, fields.answer ?? 'answer', report);
  } else if (has('conversations')) {
    turns = readTurns(record.conversations, 'conversations', report);
  } else if (has('messages')) {
    turns = readTurns(record.messages, 'messages', report);
  } else if (has('prompt')) {
    turns = pairTurns(record.prompt, record.GT ?? record.answer, 'prompt', has('GT') ? 'GT' : 'answer', report);
  } else if (has('question')) {
    turns = pairTurns(record.question, record.answer, 'question', 'answer', report);
  } else {
    report(
      'no turns: expected conversations [{from, value}], messages [{role, content}], {prompt, GT}, {question, answer} ' +
        `or --fields question=PATH; keys here: ${describeKeys(record)}`,
    );
    return undefined;
  }
  if (turns && !turns.some((t) => t.role === 'user' && t.content !== '')) {
    report('no user turn with text');
    return undefined;
  }
  return video !== undefined && turns ? { video, turns } : undefined;
}

function converter(options: VideoReadOptions, root: string): RecordConverter<VideoSample> {
  return (value, ctx, position: RecordPosition) => {
    const problems: string[] = [];
    const report: Report = (message) => void problems.push(message);
    const parsed = isPlainRecord(value)
      ? recordVideoSample(value, options.fields, report)
      : void report(`expected a JSON object, got ${describeValue(value)}`);
    if (!parsed) {
      const extra = position.element !== undefined ? { element: position.element } : {};
      reportIssue(ctx, position.line, position.unit, problems.join('; ') || 'record not usable', { ...extra, severity: 'skipped' });
      return undefined;
    }
    const source: SourceRef =
      position.unit === 'row' ? { file: ctx.file, line: position.line, unit: 'row' } : { file: ctx.file, line: position.line };
    if (position.element !== undefined) {
      source.element = position.element;
    }
    const ownId = (value as Record<string, unknown>).id;
    const id =
      typeof ownId === 'string' && ownId.trim() !== ''
        ? ownId.trim()
        : typeof ownId === 'number'
          ? String(ownId)
          : recordId(ctx.stem, position);
    return { id, video: parsed.video, videoPath: path.resolve(root, parsed.video), turns: parsed.turns, source };
  };
}

/** Streams the video samples of one JSON, JSONL or Parquet file; bad records are reported (file and line) and skipped. */
export async function* readVideoSamples(file: string, options: VideoReadOptions = {}): AsyncGenerator<VideoSample> {
  const root = path.resolve(options.videoRoot ?? path.dirname(file));
  yield* readRecords(file, converter(options, root), { onIssue: options.onIssue, signal: options.signal });
}
