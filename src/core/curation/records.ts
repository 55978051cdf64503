/**
 * One dataset line as the curation editor sees it: its schema, its context and its Q&A pairs, and the edits a
 * curator can make to them. An edit parses the line, changes the record and writes the line back in the style it
 * was written in (jsonStyle.ts), so nothing else in the line changes. No vscode import: the editor, the CLI and the
 * tests share this.
 *
 * Where pairs live, by schema:
 * - `t2vid-qa` (our `*.t2vid.jsonl`): `qa[i].question/answer`, status in `qa[i].status`, provenance in
 *   `qa[i].provenance` (an edit sets `editedByUser`).
 * - `leval`: `instructions[i]` / `outputs[i]`; `t2vid`: `question` / `answer`; `longalpaca` with an `input`:
 *   `instruction` / `output` (without one the question is inside the instruction text and is read-only here);
 *   `mapped` (the `t2vid.input.fields` setting): the mapped fields. These formats have no status of their own, so a
 *   review status is kept beside the pairs in one added field, `t2vid_review` (a list of statuses, one per pair).
 */
import type { FieldMapping } from '../model';
import { isPlainRecord, recordToSample, REVIEW_FIELD } from '../readers/schema';
import type { Range } from '../segment';
import { detectStyle, stringifyLike } from './jsonStyle';
import { REVIEW_STATUSES, type ReviewStatus } from '../../shared/vocabulary';

export type RowSchema = 't2vid-qa' | 't2vid' | 'leval' | 'longalpaca' | 'mapped';
export type PairField = 'question' | 'answer';

export { REVIEW_FIELD };

export interface PairData {
  question: string;
  answer: string;
  status: ReviewStatus;
  /** Task type (t2vid-qa only). */
  kind?: string;
  /** Provenance (t2vid-qa only). */
  generator?: string;
  model?: string;
  promptVersion?: string;
  createdAt?: string;
  editedByUser?: boolean;
  /** 0-based frame indices the answer rests on (t2vid-qa only). */
  supportingFrames?: number[];
  /** The question is not a field of its own (LongAlpaca without `input`): shown, not editable. */
  questionReadOnly?: boolean;
}

export interface SampleRow {
  ok: true;
  schema: RowSchema;
  id: string;
  context: string;
  /** Frame ranges recorded in the line (t2vid-qa), else computed by the engine when shown. */
  frames?: Range[];
  pairs: PairData[];
  canAdd: boolean;
  canDelete: boolean;
  /** Problems that did not stop the line from being read (e.g. mismatched L-Eval list lengths). */
  warnings: string[];
}

export interface ErrorRow {
  ok: false;
  error: string;
}

export type ParsedRow = SampleRow | ErrorRow;

export interface RowContext {
  /** File stem for ids of records without their own (`<stem>-<line>`). */
  stem: string;
  /** 1-based line number. */
  line: number;
  /** File name in messages. */
  file: string;
  fields?: FieldMapping;
}

/** An edit of one line; `pair` is the 0-based pair index. */
export type EditOp =
  | { type: 'setText'; pair: number; field: PairField; value: string }
  | { type: 'setStatus'; pair: number; status: ReviewStatus }
  | { type: 'delete'; pair: number }
  | { type: 'add'; question?: string; answer?: string }
  | { type: 'replace'; pair: number; with: Record<string, unknown> & { question: string; answer: string } };

/** An edit that cannot be made to this line; the message says why. */
export class EditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditError';
  }
}

const isStatus = (v: unknown): v is ReviewStatus => typeof v === 'string' && (REVIEW_STATUSES as readonly string[]).includes(v);

function isRange(v: unknown): v is Range {
  return Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && Number.isInteger(v[1]) && v[0] >= 0 && v[0] <= v[1];
}

function isT2VidQA(record: Record<string, unknown>): boolean {
  return Array.isArray(record.qa) && typeof record.context === 'string';
}

/** Parses one line. A line that is not a usable sample becomes an ErrorRow with the reason (never an exception). */
export function parseRow(text: string, ctx: RowContext): ParsedRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not valid JSON (${(e as Error).message.replace(/^JSON\.parse: /, '')})` };
  }
  if (!isPlainRecord(value)) {
    return {
      ok: false,
      error: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    };
  }
  return isT2VidQA(value) ? parseT2VidQA(value, ctx) : parseOther(value, ctx);
}

function parseT2VidQA(record: Record<string, unknown>, ctx: RowContext): ParsedRow {
  const warnings: string[] = [];
  const context = record.context as string;
  const frames = Array.isArray(record.frames) && record.frames.every(isRange) ? (record.frames as Range[]) : undefined;
  if (record.frames !== undefined && !frames) {
    warnings.push('"frames" is not a list of [start, end] ranges; frames are computed from the settings');
  }
  const pairs: PairData[] = [];
  (record.qa as unknown[]).forEach((item, i) => {
    if (!isPlainRecord(item) || typeof item.question !== 'string' || typeof item.answer !== 'string') {
      warnings.push(`qa[${i}] has no string question and answer; it is kept in the file but not shown`);
      pairs.push({ question: '', answer: '', status: 'new', questionReadOnly: true });
      return;
    }
    const provenance = isPlainRecord(item.provenance) ? item.provenance : {};
    pairs.push({
      question: item.question,
      answer: item.answer,
      status: isStatus(item.status) ? item.status : 'new',
      kind: typeof item.kind === 'string' ? item.kind : undefined,
      generator: typeof provenance.generator === 'string' ? provenance.generator : undefined,
      model: typeof provenance.model === 'string' ? provenance.model : undefined,
      promptVersion: typeof provenance.promptVersion === 'string' ? provenance.promptVersion : undefined,
      createdAt: typeof provenance.createdAt === 'string' ? provenance.createdAt : undefined,
      editedByUser: provenance.editedByUser === true,
      supportingFrames: Array.isArray(item.supportingFrames)
        ? item.supportingFrames.filter((n): n is number => Number.isInteger(n))
        : undefined,
    });
  });
  const id = typeof record.id === 'string' && record.id !== '' ? record.id : `${ctx.stem}-${String(ctx.line).padStart(6, '0')}`;
  return { ok: true, schema: 't2vid-qa', id, context, frames, pairs, canAdd: true, canDelete: true, warnings };
}

function parseOther(record: Record<string, unknown>, ctx: RowContext): ParsedRow {
  const issues: string[] = [];
  const sample = recordToSample(
    record,
    { file: ctx.file, stem: ctx.stem, fields: ctx.fields, includeRejected: true, onIssue: (issue) => issues.push(issue.message) },
    { line: ctx.line, unit: 'line' },
  );
  if (!sample) {
    return { ok: false, error: issues.join('; ') || 'not a sample' };
  }
  const schema = (sample.meta?.schema ?? 't2vid') as RowSchema;
  const review = Array.isArray(record[REVIEW_FIELD]) ? (record[REVIEW_FIELD] as unknown[]) : [];
  const questionReadOnly = schema === 'longalpaca' && !(typeof record.input === 'string' && record.input.trim() !== '');
  const pairs: PairData[] = sample.qa.map((pair, i) => ({
    question: pair.question,
    answer: pair.answer,
    status: isStatus(review[i]) ? review[i] : 'new',
    questionReadOnly: questionReadOnly || undefined,
  }));
  const listsAgree = schema !== 'leval' || !issues.some((m) => /instructions but|is not a string|is not a list/.test(m));
  return {
    ok: true,
    schema,
    id: sample.id,
    context: sample.context,
    pairs,
    canAdd:
      schema === 'leval'
        ? listsAgree
        : (schema === 't2vid' || schema === 'mapped') && pairs.length === 0 && (schema === 't2vid' || ctx.fields?.question !== undefined),
    canDelete: schema === 'leval' ? listsAgree : schema === 't2vid',
    warnings: issues,
  };
}

/** Sets a dotted field path (as resolveField reads it), creating objects on the way. */
function setField(record: Record<string, unknown>, field: string, value: unknown): void {
  if (Object.hasOwn(record, field) || !field.includes('.')) {
    record[field] = value;
    return;
  }
  const parts = field.split('.');
  let current = record;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainRecord(current[part])) {
      current[part] = {};
    }
    current = current[part] as Record<string, unknown>;
  }
  current[parts[parts.length - 1]] = value;
}

/** The field names holding pair `i`'s question and answer in a non-t2vid-qa schema. */
function pairFields(schema: RowSchema, ctx: RowContext): { question: string; answer: string } {
  switch (schema) {
    case 'leval':
      return { question: 'instructions', answer: 'outputs' };
    case 'longalpaca':
      return { question: 'instruction', answer: 'output' };
    case 'mapped':
      return { question: ctx.fields?.question ?? 'question', answer: ctx.fields?.answer ?? 'answer' };
    default:
      return { question: 'question', answer: 'answer' };
  }
}

function checkPair(row: SampleRow, pair: number): void {
  if (!Number.isInteger(pair) || pair < 0 || pair >= row.pairs.length) {
    throw new EditError(`this sample has no pair ${pair + 1} (it has ${row.pairs.length})`);
  }
}

function now(): string {
  return new Date().toISOString();
}

/**
 * Applies one edit to a line and returns the new line (same style, same key order, one line).
 * Throws EditError if the line is not a sample or the edit does not fit its schema.
 */
export function applyEdit(text: string, op: EditOp, ctx: RowContext, clock: () => string = now): string {
  const row = parseRow(text, ctx);
  if (!row.ok) {
    throw new EditError(`${ctx.file}:${ctx.line}: ${row.error}`);
  }
  const record = JSON.parse(text) as Record<string, unknown>;
  if (row.schema === 't2vid-qa') {
    editT2VidQA(record, row, op, clock);
  } else {
    editOther(record, row, op, ctx);
  }
  return stringifyLike(record, detectStyle(text));
}

function editT2VidQA(record: Record<string, unknown>, row: SampleRow, op: EditOp, clock: () => string): void {
  const qa = record.qa as Array<Record<string, unknown>>;
  const markEdited = (item: Record<string, unknown>): void => {
    if (isPlainRecord(item.provenance)) {
      item.provenance.editedByUser = true;
    } else {
      item.provenance = { generator: 'human', promptVersion: 'human', createdAt: clock(), editedByUser: true };
    }
  };
  switch (op.type) {
    case 'setText': {
      checkPair(row, op.pair);
      if (row.pairs[op.pair].questionReadOnly) {
        throw new EditError(`qa[${op.pair}] is not a question/answer pair; edit it in the text editor`);
      }
      const item = qa[op.pair];
      if (item[op.field] === op.value) {
        return;
      }
      item[op.field] = op.value;
      markEdited(item);
      return;
    }
    case 'setStatus':
      checkPair(row, op.pair);
      qa[op.pair].status = op.status;
      return;
    case 'delete':
      checkPair(row, op.pair);
      qa.splice(op.pair, 1);
      return;
    case 'add':
      qa.push({
        question: op.question ?? '',
        answer: op.answer ?? '',
        kind: 'other',
        supportingFrames: [],
        provenance: { generator: 'human', promptVersion: 'human', createdAt: clock(), editedByUser: true },
        status: 'new',
      });
      return;
    case 'replace':
      checkPair(row, op.pair);
      qa[op.pair] = { ...op.with };
      return;
  }
}

function editOther(record: Record<string, unknown>, row: SampleRow, op: EditOp, ctx: RowContext): void {
  const fields = pairFields(row.schema, ctx);
  const list = row.schema === 'leval';
  const setText = (pair: number, field: PairField, value: string): void => {
    if (field === 'question' && row.pairs[pair].questionReadOnly) {
      throw new EditError('the question is part of the LongAlpaca instruction text here; edit it in the text editor');
    }
    const name = fields[field];
    if (list) {
      const current = record[name];
      if (Array.isArray(current)) {
        current[pair] = value;
      } else {
        record[name] = value; // a lone string counts as a one-element list
      }
    } else if (row.schema === 'mapped') {
      setField(record, name, value);
    } else {
      record[name] = value;
    }
  };
  const review = (): unknown[] => {
    const current = Array.isArray(record[REVIEW_FIELD]) ? (record[REVIEW_FIELD] as unknown[]) : [];
    while (current.length < row.pairs.length) {
      current.push('new');
    }
    current.length = row.pairs.length;
    record[REVIEW_FIELD] = current;
    return current;
  };
  switch (op.type) {
    case 'setText':
      checkPair(row, op.pair);
      setText(op.pair, op.field, op.value);
      return;
    case 'setStatus':
      checkPair(row, op.pair);
      review()[op.pair] = op.status;
      return;
    case 'replace':
      checkPair(row, op.pair);
      if (!row.pairs[op.pair].questionReadOnly) {
        setText(op.pair, 'question', op.with.question);
      }
      setText(op.pair, 'answer', op.with.answer);
      if (Array.isArray(record[REVIEW_FIELD])) {
        review()[op.pair] = 'new';
      }
      return;
    case 'delete': {
      checkPair(row, op.pair);
      if (!row.canDelete) {
        throw new EditError(`pairs of a ${row.schema} record cannot be deleted here; edit the record in the text editor`);
      }
      const hadReview = Array.isArray(record[REVIEW_FIELD]);
      if (list) {
        for (const name of [fields.question, fields.answer]) {
          if (Array.isArray(record[name])) {
            (record[name] as unknown[]).splice(op.pair, 1);
          } else {
            record[name] = [];
          }
        }
      } else {
        delete record[fields.question];
        delete record[fields.answer];
      }
      if (hadReview) {
        const statuses = review();
        statuses.splice(op.pair, 1);
        if (statuses.length === 0) {
          delete record[REVIEW_FIELD];
        }
      }
      return;
    }
    case 'add': {
      if (!row.canAdd) {
        throw new EditError(
          row.schema === 'leval'
            ? 'the instructions and outputs lists differ in length; fix the record in the text editor first'
            : `a ${row.schema} record holds one question and answer`,
        );
      }
      if (list) {
        for (const [name, value] of [
          [fields.question, op.question ?? ''],
          [fields.answer, op.answer ?? ''],
        ] as const) {
          const current = record[name];
          record[name] = Array.isArray(current) ? [...current, value] : typeof current === 'string' ? [current, value] : [value];
        }
      } else if (row.schema === 'mapped') {
        setField(record, fields.question, op.question ?? '');
        setField(record, fields.answer, op.answer ?? '');
      } else {
        record[fields.question] = op.question ?? '';
        record[fields.answer] = op.answer ?? '';
      }
      if (Array.isArray(record[REVIEW_FIELD])) {
        (record[REVIEW_FIELD] as unknown[]).push('new');
      }
      return;
    }
  }
}

/** What a text search looks at, lower-cased: the id, questions and answers (an error row: its raw line). */
export function searchText(row: ParsedRow, lineText: string): string {
  if (!row.ok) {
    return lineText.toLowerCase();
  }
  let text = row.id;
  for (const pair of row.pairs) {
    text += `\n${pair.question}\n${pair.answer}`;
  }
  return text.toLowerCase();
}
