/**
 * Record schemas: turns one parsed record (a JSON object or a Parquet row) into a `Sample`,
 * detecting T2Vid/LongQLoRA, L-Eval and LongAlpaca records, our own `*.t2vid.jsonl` records (`qa` list), or
 * following an explicit field mapping.
 * Pairs a curator rejected (status "rejected" in a `*.t2vid.jsonl` pair, or in the `t2vid_review` list the curation
 * editor keeps beside other formats' pairs) are left out unless the context asks for every pair.
 * Pure functions; the format readers (json.ts, parquet.ts) call `recordToSample` once per record.
 */
import * as path from 'node:path';
import type { FieldMapping, QAPair, ReadIssue, Sample, SourceRef } from '../model';

/** Which schema a record was read with; stored as `sample.meta.schema`. */
export type RecordSchema = 't2vid' | 't2vid-qa' | 'leval' | 'longalpaca' | 'mapped';

/** Turns one parsed record into what a reader yields (default `recordToSample`); reports problems itself. */
export type RecordConverter<T> = (value: unknown, ctx: ReaderContext<T>, position: RecordPosition) => T | undefined;

/** State shared by every reader while it reads one file. */
export interface ReaderContext<T = Sample> {
  file: string;
  /** Sanitized file stem, the prefix of every sample id. */
  stem: string;
  fields?: FieldMapping;
  signal?: AbortSignal;
  onIssue?: (issue: ReadIssue) => void;
  /** Keep pairs a curator rejected (default: leave them out). */
  includeRejected?: boolean;
  /** Converts each record instead of `recordToSample` (the diversity metrics read instructions only). */
  convert?: RecordConverter<T>;
}

/** The field in which the curation editor keeps review statuses of formats that have none (one per pair). */
export const REVIEW_FIELD = 't2vid_review';

/** Where a record sits in its file. */
export interface RecordPosition {
  /** 1-based physical line (JSON/JSONL) or row (Parquet). */
  line: number;
  unit: 'line' | 'row';
  /** 0-based index in a JSON array (many elements can share a line). */
  element?: number;
}

const MAPPABLE_KEYS = ['context', 'question', 'answer'] as const;
type MappableKey = (typeof MAPPABLE_KEYS)[number];

/** Reports one issue for `file` at `line` (no-op without an `onIssue` callback). */
export function reportIssue<T>(
  ctx: ReaderContext<T>,
  line: number,
  unit: 'line' | 'row' | 'row group' | 'file',
  message: string,
  extra: Pick<ReadIssue, 'element' | 'severity' | 'replaced'> = {},
): void {
  if (!ctx.onIssue) {
    return;
  }
  const issue: ReadIssue = unit === 'line' ? { file: ctx.file, line, message } : { file: ctx.file, line, unit, message };
  if (extra.element !== undefined) {
    issue.element = extra.element;
  }
  if (extra.severity) {
    issue.severity = extra.severity;
  }
  if (extra.replaced) {
    issue.replaced = extra.replaced;
  }
  ctx.onIssue(issue);
}

/** Share of U+FFFD and C0 controls (but tab, newline, CR, form feed, escape) above which a text counts as binary. */
const BINARY_SHARE = 0.1;

/**
 * Why a decoded text looks like binary data rather than text, or undefined: a NUL character anywhere, or more than
 * 10% of its characters replacement characters (invalid UTF-8) or control characters.
 */
export function binaryReason(text: string): string | undefined {
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    return `binary content (a NUL character at character ${nul})`;
  }
  if (text.length === 0) {
    return undefined;
  }

  const odd = text.match(/[\uFFFD\u0001-\u0008\u000b\u000e-\u001a\u001c-\u001f]/g)?.length ?? 0;
  if (odd > 0 && odd / text.length > BINARY_SHARE) {
    return `binary content (${odd} of ${text.length} characters are invalid UTF-8 or control characters)`;
  }
  return undefined;
}

/**
 * The id prefix for a file: its basename without the last extension, with every character outside
 * `[A-Za-z0-9._-]` replaced by `_`; `doc` when nothing (or only dots) is left.
 */
export function fileStem(file: string): string {
  const base = path.basename(file);
  const ext = path.extname(base);
  const stem = ext ? base.slice(0, base.length - ext.length) : base;
  const clean = stem.replace(/[^A-Za-z0-9._-]/gu, '_');
  return clean === '' || /^\.+$/.test(clean) ? 'doc' : clean;
}

/** `<stem>-000042` for line 42, `<stem>-r000042` for Parquet row 42. */
export function recordId(stem: string, position: RecordPosition): string {
  return `${stem}-${position.unit === 'row' ? 'r' : ''}${String(position.line).padStart(6, '0')}`;
}

/**
 * Parses `"context=text,question=prompt,answer=response"`. Only `context`, `question` and `answer`
 * may be mapped; values are field names or paths into nested objects and lists (`meta.body`,
 * `conversations.0.value`, `conversations[0].value`).
 * Throws an Error that quotes the spec and says what is wrong.
 */
export function parseFieldMapping(spec: string): FieldMapping {
  const fail = (why: string): never => {
    throw new Error(`Invalid field mapping "${spec}": ${why}. Expected e.g. "context=text,question=prompt,answer=response".`);
  };
  if (spec.trim() === '') {
    fail('it is empty');
  }
  const mapping: FieldMapping = {};
  for (const rawPart of spec.split(',')) {
    const part = rawPart.trim();
    if (part === '') {
      fail('empty entry (stray comma?)');
    }
    const eq = part.indexOf('=');
    if (eq < 0) {
      fail(`"${part}" is not key=field`);
    }
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!isMappableKey(key)) {
      fail(`unknown key "${key}"; only context, question and answer can be mapped`);
    }
    const mappedKey = key as MappableKey;
    if (value === '') {
      fail(`"${key}" has no field name`);
    }
    if (!fieldPathSegments(value)) {
      fail(`"${value}" is not a valid field path (e.g. meta.body, conversations.0.value or conversations[0].value)`);
    }
    if (mapping[mappedKey] !== undefined) {
      fail(`"${key}" is given twice`);
    }
    mapping[mappedKey] = value;
  }
  if (mapping.answer !== undefined && mapping.question === undefined) {
    fail('answer is mapped but question is not');
  }
  return mapping;
}

function isMappableKey(key: string): key is MappableKey {
  return (MAPPABLE_KEYS as readonly string[]).includes(key);
}

/** A short description of a value's type for issue messages (never serializes the value). */
export function describeValue(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (value === undefined) {
    return 'nothing';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (value instanceof Uint8Array) {
    return 'binary data';
  }
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'bigint':
      return 'an integer (bigint)';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** The record's top-level keys for a message: at most 12, each at most 40 characters. */
export function describeKeys(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  if (keys.length === 0) {
    return '(none)';
  }
  const shown = keys.slice(0, 12).map((key) => (key.length > 40 ? `${key.slice(0, 39)}…` : key));
  return keys.length > shown.length ? `${shown.join(', ')}, … (+${keys.length - shown.length} more)` : shown.join(', ');
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * The segments of a field path: `a.b`, `list.0.key` and `list[0].key` (`name[0][1]` too), or undefined when it is not
 * one (an empty segment, a bracket without a whole number, text after a bracket). `list[0]` and `list.0` are the same.
 */
export function fieldPathSegments(field: string): string[] | undefined {
  const segments: string[] = [];
  for (const part of field.split('.')) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part.trim());
    if (!match) {
      return undefined;
    }
    segments.push(match[1]!.trim());
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) {
      segments.push(index[1]!);
    }
  }
  return segments;
}

/** The top-level field a path starts from (`conversations` for `conversations[0].value`). */
export function fieldPathRoot(field: string): string {
  return fieldPathSegments(field)?.[0] ?? field;
}

/** Looks up `field` in `record`: an exact key first, then a path (`a.b.0.c` or `a.b[0].c`) through objects/arrays. */
export function resolveField(record: Record<string, unknown>, field: string): unknown {
  if (Object.hasOwn(record, field)) {
    return record[field];
  }
  if (!field.includes('.') && !field.includes('[')) {
    return undefined;
  }
  let current: unknown = record;
  for (const segment of fieldPathSegments(field) ?? []) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) {
      current = current[Number(segment)];
    } else if (isPlainRecord(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/**
 * Converts one parsed record to a Sample, or reports why it cannot and returns undefined.
 * Records that are usable but odd (a skipped QA pair, mismatched L-Eval lengths) are reported and still returned.
 */
export function recordToSample(value: unknown, ctx: ReaderContext, position: RecordPosition): Sample | undefined {
  // A record's problems are held until we know its fate: all of them as one 'skipped' issue if it is left out (one
  // per record, so the summary counts records), each as a 'warning' if it is kept.
  const problems: string[] = [];
  const report = (message: string): void => void problems.push(message);
  const extra = position.element !== undefined ? { element: position.element } : {};
  const skip = (): undefined => {
    reportIssue(ctx, position.line, position.unit, problems.join('; ') || 'record not usable', { ...extra, severity: 'skipped' });
    return undefined;
  };
  if (!isPlainRecord(value)) {
    report(`expected a JSON object, got ${describeValue(value)}`);
    return skip();
  }
  const parsed = ctx.fields ? readMapped(value, ctx.fields, report) : readDetected(value, report);
  if (!parsed) {
    return skip();
  }
  const binary = binaryReason(parsed.context);
  if (binary) {
    report(`the context is ${binary}`);
    return skip();
  }
  for (const message of problems) {
    reportIssue(ctx, position.line, position.unit, message, { ...extra, severity: 'warning' });
  }
  if (!ctx.includeRejected) {
    const statuses = parsed.statuses ?? (Array.isArray(value[REVIEW_FIELD]) ? (value[REVIEW_FIELD] as unknown[]) : []);
    parsed.qa = parsed.qa.filter((_, i) => statuses[i] !== 'rejected');
  }
  const source: SourceRef =
    position.unit === 'row' ? { file: ctx.file, line: position.line, unit: 'row' } : { file: ctx.file, line: position.line };
  if (position.element !== undefined) {
    source.element = position.element;
  }
  return { id: recordId(ctx.stem, position), source, context: parsed.context, qa: parsed.qa, meta: { schema: parsed.schema } };
}

interface ParsedRecord {
  schema: RecordSchema;
  context: string;
  qa: QAPair[];
  /** Review status of each pair, when the record keeps them with the pairs (t2vid-qa). */
  statuses?: unknown[];
}

type Report = (message: string) => void;

function readDetected(record: Record<string, unknown>, report: Report): ParsedRecord | undefined {
  const has = (key: string): boolean => Object.hasOwn(record, key);
  if (has('context') && Array.isArray(record.qa)) {
    return readT2VidQA(record, report);
  }
  if (has('context')) {
    return readT2Vid(record, report);
  }
  if (has('input') && (has('instructions') || has('outputs'))) {
    return readLEval(record, report);
  }
  if (has('instruction')) {
    return readLongAlpaca(record, report);
  }
  report(
    'no context field: expected {context, question, answer}, L-Eval {input, instructions, outputs}, ' +
      `LongAlpaca {instruction, output} or a --fields mapping; keys here: ${describeKeys(record)}`,
  );
  return undefined;
}

/** Validates a context value: a non-blank string, or an issue and undefined. */
function checkContext(value: unknown, field: string, report: Report): string | undefined {
  if (typeof value !== 'string') {
    report(`context field "${field}" is not a string (got ${describeValue(value)})`);
    return undefined;
  }
  if (value.trim() === '') {
    report('empty context');
    return undefined;
  }
  return value;
}

/**
 * One QA pair from a question and an answer value. Both missing → no pair, silently.
 * A question without an answer gets answer "". Anything that is not a string → issue, no pair.
 */
function makePair(question: unknown, answer: unknown, questionField: string, answerField: string, report: Report): QAPair | undefined {
  if (question === undefined) {
    if (answer !== undefined) {
      report(`"${answerField}" without "${questionField}"; QA pair skipped`);
    }
    return undefined;
  }
  if (typeof question !== 'string') {
    report(`question field "${questionField}" is not a string (got ${describeValue(question)}); QA pair skipped`);
    return undefined;
  }
  if (answer === undefined) {
    return { question, answer: '' };
  }
  if (typeof answer !== 'string') {
    report(`answer field "${answerField}" is not a string (got ${describeValue(answer)}); QA pair skipped`);
    return undefined;
  }
  return { question, answer };
}

function readMapped(record: Record<string, unknown>, fields: FieldMapping, report: Report): ParsedRecord | undefined {
  const contextField = fields.context ?? 'context';
  const contextValue = resolveField(record, contextField);
  if (contextValue === undefined) {
    report(`no field ${contextField}; keys here: ${describeKeys(record)}`);
    return undefined;
  }
  const context = checkContext(contextValue, contextField, report);
  if (context === undefined) {
    return undefined;
  }
  const qa: QAPair[] = [];
  if (fields.question !== undefined) {
    const question = resolveField(record, fields.question);
    const answer = fields.answer !== undefined ? resolveField(record, fields.answer) : undefined;
    if (question === undefined) {
      report(`no field ${fields.question}; QA pair skipped`);
    } else if (fields.answer !== undefined && answer === undefined) {
      report(`no field ${fields.answer}; QA pair skipped`);
    } else {
      const pair = makePair(question, answer, fields.question, fields.answer ?? 'answer', report);
      if (pair) {
        qa.push(pair);
      }
    }
  }
  return { schema: 'mapped', context, qa };
}

function readT2Vid(record: Record<string, unknown>, report: Report): ParsedRecord | undefined {
  const context = checkContext(record.context, 'context', report);
  if (context === undefined) {
    return undefined;
  }
  const pair = makePair(record.question, record.answer, 'question', 'answer', report);
  return { schema: 't2vid', context, qa: pair ? [pair] : [] };
}

/** A `*.t2vid.jsonl` record: `qa` is a list of {question, answer, status, …}. */
function readT2VidQA(record: Record<string, unknown>, report: Report): ParsedRecord | undefined {
  const context = checkContext(record.context, 'context', report);
  if (context === undefined) {
    return undefined;
  }
  const qa: QAPair[] = [];
  const statuses: unknown[] = [];
  (record.qa as unknown[]).forEach((item, i) => {
    const pair = isPlainRecord(item) ? makePair(item.question, item.answer, `qa[${i}].question`, `qa[${i}].answer`, report) : undefined;
    if (!isPlainRecord(item)) {
      report(`qa[${i}] is not an object (got ${describeValue(item)}); QA pair skipped`);
    }
    if (pair) {
      qa.push(pair);
      statuses.push((item as Record<string, unknown>).status);
    }
  });
  return { schema: 't2vid-qa', context, qa, statuses };
}

/** An L-Eval list field; a lone string counts as a one-element list. */
function stringList(value: unknown, field: string, report: Report): unknown[] {
  if (Array.isArray(value)) {
    return value;
  }
  if (typeof value === 'string') {
    return [value];
  }
  report(`"${field}" is not a list (got ${describeValue(value)})`);
  return [];
}

function readLEval(record: Record<string, unknown>, report: Report): ParsedRecord | undefined {
  const context = checkContext(record.input, 'input', report);
  if (context === undefined) {
    return undefined;
  }
  const instructions = stringList(record.instructions, 'instructions', report);
  const outputs = stringList(record.outputs, 'outputs', report);
  const count = Math.min(instructions.length, outputs.length);
  if (instructions.length !== outputs.length) {
    report(`${instructions.length} instructions but ${outputs.length} outputs; kept the ${count} pair(s) that have both`);
  }
  const qa: QAPair[] = [];
  for (let i = 0; i < count; i++) {
    const question = instructions[i];
    const answer = outputs[i];
    if (typeof question !== 'string') {
      report(`instructions[${i}] is not a string (got ${describeValue(question)}); QA pair skipped`);
    } else if (typeof answer !== 'string') {
      report(`outputs[${i}] is not a string (got ${describeValue(answer)}); QA pair skipped`);
    } else {
      qa.push({ question, answer });
    }
  }
  return { schema: 'leval', context, qa };
}

function readLongAlpaca(record: Record<string, unknown>, report: Report): ParsedRecord | undefined {
  const { instruction, input, output } = record;
  let context: string | undefined;
  let contextField = 'instruction';
  let question: unknown;
  if (typeof input === 'string' && input.trim() !== '') {
    context = input;
    contextField = 'input';
    question = instruction;
  } else if (input !== undefined && input !== null && typeof input !== 'string') {
    report(`context field "input" is not a string (got ${describeValue(input)})`);
    return undefined;
  } else {
    if (typeof instruction !== 'string') {
      report(`context field "instruction" is not a string (got ${describeValue(instruction)})`);
      return undefined;
    }
    const split = splitLongAlpacaInstruction(instruction);
    context = split.context;
    question = split.question;
  }
  const checked = checkContext(context, contextField, report);
  if (checked === undefined) {
    return undefined;
  }
  const pair = question === undefined ? undefined : makePair(question, output, 'instruction', 'output', report);
  return { schema: 'longalpaca', context: checked, qa: pair ? [pair] : [] };
}

const BEGIN_MARKER = /\bthe (?:paper|book|material) begins\./i;
const END_MARKER = /(?:\bnow )?\bthe (?:paper|book|material) ends\./gi;
const PARAGRAPH_BREAK = /\r?\n(?:[ \t]*\r?\n)+/g;
const MAX_TRAILING_QUESTION = 1000;

/**
 * Splits a LongAlpaca instruction that holds both the long text and the question.
 * With the markers "The paper begins." … "Now the paper ends." (also "The paper ends.", and the
 * book/material variants; case-insensitive): context = between them, question = after the end marker,
 * or the text before the begin marker when nothing follows. Without markers: the last paragraph is the
 * question when there are ≥2 paragraphs and it is shorter than 1000 characters; otherwise no question.
 */
export function splitLongAlpacaInstruction(instruction: string): { context: string; question?: string } {
  const begin = BEGIN_MARKER.exec(instruction);
  const bodyStart = begin ? begin.index + begin[0].length : 0;
  let end: RegExpExecArray | null = null;
  END_MARKER.lastIndex = bodyStart;
  for (let match = END_MARKER.exec(instruction); match; match = END_MARKER.exec(instruction)) {
    end = match;
  }
  if (begin || end) {
    const context = instruction.slice(bodyStart, end ? end.index : instruction.length).trim();
    let question = end ? instruction.slice(end.index + end[0].length).trim() : '';
    if (question === '' && begin) {
      question = instruction.slice(0, begin.index).trim();
    }
    return question === '' ? { context } : { context, question };
  }
  const text = instruction.trimEnd();
  let lastBreak: RegExpExecArray | null = null;
  PARAGRAPH_BREAK.lastIndex = 0;
  for (let match = PARAGRAPH_BREAK.exec(text); match; match = PARAGRAPH_BREAK.exec(text)) {
    lastBreak = match;
  }
  if (lastBreak) {
    const context = text.slice(0, lastBreak.index);
    const question = text.slice(lastBreak.index + lastBreak[0].length).trim();
    if (context.trim() !== '' && question !== '' && question.length < MAX_TRAILING_QUESTION) {
      return { context, question };
    }
  }
  return { context: instruction };
}
