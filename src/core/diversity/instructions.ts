/**
 * Instruction extraction for the diversity metrics: the instructions (user prompts) of any dataset the readers know,
 * one per pair or sample, with image/video placeholders and multiple-choice option lists stripped.
 *
 * Detected record shapes (first match wins):
 * - `*.t2vid.jsonl` `{context, qa: [{question, status}]}`: every question (rejected pairs left out);
 * - L-Eval `{input, instructions: [...]}`: every instruction;
 * - LLaVA / ShareGPT / MiniCPM-V `conversations: [{from, value}]` or `[{role, content}]`, and
 *   `messages: [{role, content}]` (ms-swift, LLaMA-Factory, OpenAI; content may be a list of `{type: "text", text}`
 *   parts): the first user turn;
 * - video benchmarks `{prompt}`, T2Vid `{context, question}` and `{question}`, ms-swift `{query}`;
 * - LongAlpaca / Alpaca `{instruction, input?}`: the instruction (its question part when the long text is inside it).
 * With a field mapping (`--fields question=PATH`) the value at PATH is measured instead: a string, a list of strings
 * (each one an instruction) or a list of turns (the first user turn). Bad records are reported with their line.
 */
import type { FieldMapping, ReadIssue, SourceRef } from '../model';
import { readRecords, splitLongAlpacaInstruction, type RecordConverter, type RecordPosition } from '../readers/index';
import { describeKeys, describeValue, isPlainRecord, reportIssue, resolveField, REVIEW_FIELD } from '../readers/schema';

/** One instruction as measured, and where it came from. */
export interface Instruction {
  /** The text measured: placeholders and option lists stripped, whitespace trimmed. */
  text: string;
  source: SourceRef;
  /** 0-based index of the instruction within its record (L-Eval and `*.t2vid.jsonl` records hold several). */
  index: number;
}

/** Which shape an instruction was read with. */
export type InstructionSchema =
  't2vid-qa' | 'leval' | 'conversations' | 'messages' | 'prompt' | 'question' | 'query' | 'instruction' | 'mapped';

export interface ExtractOptions {
  /** `--fields`: only `question` is used (the field measured); context and answer are ignored. */
  fields?: FieldMapping;
  /** Keep placeholders and option lists (default: strip them). */
  raw?: boolean;
  onIssue?: (issue: ReadIssue) => void;
  signal?: AbortSignal;
}

/** `<video>`, `<image>`, `<image_00>`, `<Video><VideoHere></Video>`, `<ImageHere>`, `<|image|>`, `<|video_pad|>`… */
const PLACEHOLDER =
  /<\/?\|?\s*(?:video|image|img|frame)(?:[_ -]?(?:here|pad|\d+))?\s*\|?>|<\|vision_(?:start|end)\|>|<(?:video|image)here>/giu;
/** An option line: `A. …`, `(B) …`, `C) …`, `D: …`. */
const OPTION_LINE = /^\s*(?:\(([A-J])\)|([A-J])[.):：、])\s*\S/u;
/** Option-list headers and answer boilerplate, a whole line each. */
const BOILERPLATE_LINE = [
  /^\s*(?:options|choices|candidates)\s*[:：]?\s*$/iu,
  /^\s*answer with the option'?s letter from the given choices directly\.?\s*$/iu,
  /^\s*(?:please\s+)?(?:answer|respond) with (?:only )?the (?:option'?s )?letter.*$/iu,
  /^\s*only give the best option\.?\s*$/iu,
  /^\s*best option\s*[:：]?\s*\(?\s*$/iu,
  /^\s*the best answer is\s*[:：]?\s*$/iu,
];
/** The same boilerplate written on the question's own line. */
const BOILERPLATE_TAIL = /\s*(?:answer with the option'?s letter from the given choices directly\.?|only give the best option\.?)\s*$/iu;

/**
 * Strips image/video placeholders, multiple-choice option lists (two or more lines `A. …`, `B. …` in letter order
 * from A, or a lone `A. …` line followed by the answer boilerplate) and the answer-format boilerplate that goes with
 * them; trims and collapses blank lines.
 */
export function cleanInstruction(text: string): string {
  const lines = text.replace(PLACEHOLDER, ' ').split(/\r?\n/u);
  // Option lines: only a run that starts at A and goes on in letter order, so a line that merely starts "A. " stays.
  const drop = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    if (optionLetter(lines[i]!) !== 'A') {
      continue;
    }
    let j = i + 1;
    let expected = 'B';
    while (j < lines.length && optionLetter(lines[j]!) === expected) {
      expected = String.fromCharCode(expected.charCodeAt(0) + 1);
      j++;
    }
    // One option alone counts only when the answer boilerplate follows it (MVBench has such one-option questions).
    const boilerplateNext = j < lines.length && BOILERPLATE_LINE.some((re) => re.test(lines[j]!));
    if (j - i >= 2 || boilerplateNext) {
      for (let k = i; k < j; k++) {
        drop.add(k);
      }
      i = j - 1;
    }
  }
  const kept = lines
    .filter((line, i) => !drop.has(i) && !BOILERPLATE_LINE.some((re) => re.test(line)))
    .map((line) =>
      line
        .replace(BOILERPLATE_TAIL, '')
        .replace(/[ \t]+/gu, ' ')
        .trim(),
    );
  return kept
    .join('\n')
    .replace(/\n{2,}/gu, '\n')
    .trim();
}

function optionLetter(line: string): string | undefined {
  const match = OPTION_LINE.exec(line);
  return match ? (match[1] ?? match[2]) : undefined;
}

type Report = (message: string) => void;

/** Text of one turn's content: a string, or the text parts of an OpenAI-style content list. */
function turnText(content: unknown): string | undefined {
  if (typeof content === 'string') {
    return content;
  }
  if (Array.isArray(content)) {
    const parts = content
      .map((part) => (typeof part === 'string' ? part : isPlainRecord(part) && typeof part.text === 'string' ? part.text : undefined))
      .filter((part): part is string => part !== undefined);
    return parts.length ? parts.join('\n') : undefined;
  }
  return undefined;
}

const USER_ROLES = new Set(['user', 'human']);

/** The first user turn of a conversation (`{from, value}` or `{role, content}` turns), or undefined with a report. */
function firstUserTurn(turns: unknown[], field: string, report: Report): string | undefined {
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i];
    if (!isPlainRecord(turn)) {
      report(`${field}[${i}] is not an object (got ${describeValue(turn)})`);
      return undefined;
    }
    const role = turn.from ?? turn.role;
    if (typeof role === 'string' && USER_ROLES.has(role.toLowerCase())) {
      const text = turnText(turn.value ?? turn.content);
      if (text === undefined) {
        report(`${field}[${i}] (the first user turn) has no text (got ${describeValue(turn.value ?? turn.content)})`);
      }
      return text;
    }
  }
  report(`${field} has no user turn (from "human"/"user" or role "user")`);
  return undefined;
}

/** The instructions of a value at a mapped field: a string, a list of strings, or a list of turns. */
function mappedValue(value: unknown, field: string, report: Report): string[] {
  if (typeof value === 'string') {
    return [value];
  }
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'string')) {
      return value as string[];
    }
    if (value.some((item) => isPlainRecord(item) && ('from' in item || 'role' in item))) {
      const turn = firstUserTurn(value, field, report);
      return turn === undefined ? [] : [turn];
    }
  }
  report(`field "${field}" is not a string, a list of strings or a list of turns (got ${describeValue(value)})`);
  return [];
}

/** The raw instructions of one record and the schema they were read with, or undefined (reported). */
export function recordInstructions(
  record: Record<string, unknown>,
  fields: FieldMapping | undefined,
  report: Report,
): { schema: InstructionSchema; texts: string[] } | undefined {
  if (fields?.question !== undefined) {
    const value = resolveField(record, fields.question);
    if (value === undefined) {
      report(`no field ${fields.question}; keys here: ${describeKeys(record)}`);
      return undefined;
    }
    return { schema: 'mapped', texts: mappedValue(value, fields.question, report) };
  }
  const has = (key: string): boolean => Object.hasOwn(record, key);
  if (Array.isArray(record.qa)) {
    const statuses = Array.isArray(record[REVIEW_FIELD]) ? (record[REVIEW_FIELD] as unknown[]) : [];
    const texts: string[] = [];
    record.qa.forEach((pair, i) => {
      if (!isPlainRecord(pair) || typeof pair.question !== 'string') {
        report(`qa[${i}].question is not a string (got ${describeValue(isPlainRecord(pair) ? pair.question : pair)}); skipped`);
      } else if (pair.status !== 'rejected' && statuses[i] !== 'rejected') {
        texts.push(pair.question);
      }
    });
    return { schema: 't2vid-qa', texts };
  }
  if (has('instructions')) {
    const list = typeof record.instructions === 'string' ? [record.instructions] : record.instructions;
    if (!Array.isArray(list)) {
      report(`"instructions" is not a list (got ${describeValue(record.instructions)})`);
      return undefined;
    }
    const statuses = Array.isArray(record[REVIEW_FIELD]) ? (record[REVIEW_FIELD] as unknown[]) : [];
    const texts: string[] = [];
    list.forEach((item, i) => {
      if (typeof item !== 'string') {
        report(`instructions[${i}] is not a string (got ${describeValue(item)}); skipped`);
      } else if (statuses[i] !== 'rejected') {
        texts.push(item);
      }
    });
    return { schema: 'leval', texts };
  }
  for (const key of ['conversations', 'messages'] as const) {
    if (has(key)) {
      if (!Array.isArray(record[key])) {
        report(`"${key}" is not a list (got ${describeValue(record[key])})`);
        return undefined;
      }
      const turn = firstUserTurn(record[key], key, report);
      return turn === undefined ? undefined : { schema: key, texts: [turn] };
    }
  }
  for (const key of ['prompt', 'question', 'query'] as const) {
    if (has(key)) {
      const text = turnText(record[key]);
      if (text === undefined) {
        report(`"${key}" is not a string (got ${describeValue(record[key])})`);
        return undefined;
      }
      return { schema: key, texts: [text] };
    }
  }
  if (has('instruction')) {
    if (typeof record.instruction !== 'string') {
      report(`"instruction" is not a string (got ${describeValue(record.instruction)})`);
      return undefined;
    }
    const input = record.input;
    if (typeof input === 'string' && input.trim() !== '') {
      return { schema: 'instruction', texts: [record.instruction] };
    }
    const split = splitLongAlpacaInstruction(record.instruction);
    // A LongAlpaca instruction that holds the whole paper: its question part; a short Alpaca one: itself.
    return { schema: 'instruction', texts: [split.question ?? record.instruction] };
  }
  report(
    'no instruction field: expected qa[].question, instructions[], conversations, messages, prompt, question, query, ' +
      `instruction, or --fields question=PATH; keys here: ${describeKeys(record)}`,
  );
  return undefined;
}

function converter(options: ExtractOptions): RecordConverter<Instruction[]> {
  return (value: unknown, ctx, position: RecordPosition): Instruction[] | undefined => {
    const problems: string[] = [];
    const report: Report = (message) => void problems.push(message);
    const extra = position.element !== undefined ? { element: position.element } : {};
    const parsed = isPlainRecord(value)
      ? recordInstructions(value, options.fields, report)
      : void report(`expected a JSON object, got ${describeValue(value)}`);
    const out: Instruction[] = [];
    if (parsed) {
      const source: SourceRef =
        position.unit === 'row' ? { file: ctx.file, line: position.line, unit: 'row' } : { file: ctx.file, line: position.line };
      if (position.element !== undefined) {
        source.element = position.element;
      }
      parsed.texts.forEach((raw, index) => {
        const text = options.raw ? raw.trim() : cleanInstruction(raw);
        if (text === '') {
          report(`instruction ${index + 1} is empty${options.raw ? '' : ' once placeholders and options are stripped'}; skipped`);
        } else {
          out.push({ text, source, index });
        }
      });
    }
    const severity = out.length ? 'warning' : 'skipped';
    if (problems.length || !out.length) {
      reportIssue(ctx, position.line, position.unit, problems.join('; ') || 'no instruction in this record', { ...extra, severity });
    }
    return out.length ? out : undefined;
  };
}

/** Streams the instructions of one file (JSON, JSONL or Parquet); bad records are reported, never fatal. */
export async function* readInstructions(file: string, options: ExtractOptions = {}): AsyncGenerator<Instruction> {
  for await (const batch of readRecords(file, converter(options), {
    fields: options.fields,
    onIssue: options.onIssue,
    signal: options.signal,
  })) {
    yield* batch;
  }
}
