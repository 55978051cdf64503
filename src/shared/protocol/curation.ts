/**
 * Messages between the curation editor (a CustomTextEditorProvider over a JSONL dataset) and its webview. Each
 * direction is a discriminated union checked at runtime on receipt: the webview shows untrusted dataset text, and a
 * message is only data until it has been validated. Imported by src/extension (node) and webview/ (browser).
 *
 * Rows are addressed by their 0-based document line and the hash of the line's text as the webview saw it: the host
 * applies an edit only if the line still has that text (or a text the host itself wrote since), so an edit never
 * lands on a line that changed under it.
 */
import { GENERATOR_FILTERS, QA_GENERATORS, REVIEW_STATUSES, STATUS_FILTERS, type QAGenerator, type ReviewStatus, type RowFilter } from '../vocabulary';
import { isArrayOf, isBool, isInt, isNullable, isOneOf, isString, parseMessage, shape, type Check } from '../validate';

export { GENERATOR_FILTERS, REVIEW_STATUSES, STATUS_FILTERS, type ReviewStatus, type RowFilter };

export interface PairView {
  question: string;
  answer: string;
  status: ReviewStatus;
  kind: string | null;
  generator: string | null;
  model: string | null;
  createdAt: string | null;
  editedByUser: boolean;
  /** 0-based frame indices. */
  supportingFrames: number[];
  questionReadOnly: boolean;
}

export interface RowView {
  /** 0-based document line. */
  line: number;
  /** Hash of the line's text (lineHash). */
  hash: string;
  ok: boolean;
  /** Why the line is not a sample (ok false). */
  error: string | null;
  id: string;
  schema: string | null;
  /** The first characters of the context. */
  contextHead: string;
  contextLength: number;
  /** Frames recorded in the line, or null if they are computed from the settings when shown. */
  frameCount: number | null;
  pairs: PairView[];
  canAdd: boolean;
  canDelete: boolean;
  warnings: string[];
}

export interface StatsView {
  rows: number;
  errors: number;
  pairs: number;
  new: number;
  accepted: number;
  rejected: number;
  flagged: number;
  complete: boolean;
}

export interface FrameThumb {
  index: number;
  /** A webview resource URI of the PNG. */
  src: string;
  /** The recorded range does not fit a frame at the current settings; the image is cut at the frame's edge. */
  clipped: boolean;
}

//#region to webview

/** The rows to list (after the filter), in order; sent on open, on a filter change and when lines move. */
export interface ViewMessage {
  type: 'view';
  file: string;
  lines: number[];
  total: number;
  filter: RowFilter;
  /** Monotonic: rows the webview holds from an older view are re-requested. */
  version: number;
  /** Settings that shape the editor (frame aspect ratio). */
  frameWidth: number;
  frameHeight: number;
  /** The generator "Regenerate" uses (the t2vid.qa.generator setting) and the LLM's model name (t2vid.qa.model). */
  generator: QAGenerator;
  llmModel: string;
  /** 'large': the large-file editor (lines read on demand; no text editor to show a line in). */
  mode: 'text' | 'large';
}

export { QA_GENERATORS, type QAGenerator } from '../vocabulary';

/** Row contents, answering requestRows, or pushed after an edit. */
export interface RowsMessage {
  type: 'rows';
  version: number;
  rows: RowView[];
}

export interface StatsMessage {
  type: 'stats';
  stats: StatsView;
}

export interface FramesMessage {
  type: 'frames';
  line: number;
  hash: string;
  frames: FrameThumb[];
  error: string | null;
}

/** Put the caret in a field (after "add pair"). */
export interface FocusMessage {
  type: 'focus';
  line: number;
  pair: number;
  field: 'question' | 'answer';
}

/** A pair is being regenerated (or done). */
export interface BusyMessage {
  type: 'busy';
  line: number;
  pair: number;
  busy: boolean;
}

export interface NoticeMessage {
  type: 'notice';
  level: 'info' | 'error';
  message: string;
}

export const REVIEW_COMMANDS = ['next', 'previous', 'accept', 'reject', 'flag', 'edit', 'find'] as const;
export type ReviewCommand = (typeof REVIEW_COMMANDS)[number];

/** A review command from the palette or a keybinding (the same as the webview's own keys). */
export interface CommandMessage {
  type: 'command';
  command: ReviewCommand;
}

export type CurationToWebview = ViewMessage | RowsMessage | StatsMessage | FramesMessage | FocusMessage | BusyMessage | NoticeMessage | CommandMessage;

//#endregion

//#region from webview

export type CurationEdit =
  | { type: 'setText'; pair: number; field: 'question' | 'answer'; value: string }
  | { type: 'setStatus'; pair: number; status: ReviewStatus }
  | { type: 'delete'; pair: number }
  | { type: 'add' };

export interface CurationReady {
  type: 'ready';
}
export interface RequestRowsMessage {
  type: 'requestRows';
  lines: number[];
}
export interface RequestFramesMessage {
  type: 'requestFrames';
  line: number;
  hash: string;
}
export interface SetFilterMessage {
  type: 'setFilter';
  filter: RowFilter;
}
export interface EditMessage {
  type: 'edit';
  line: number;
  hash: string;
  edit: CurationEdit;
}
export interface RegenerateMessage {
  type: 'regenerate';
  line: number;
  hash: string;
  pair: number;
}
/** Choose the generator "Regenerate" uses (writes the t2vid.qa.generator workspace setting). */
export interface SetGeneratorMessage {
  type: 'setGenerator';
  generator: QAGenerator;
}
/** Show the line in a text editor. */
export interface RevealMessage {
  type: 'reveal';
  line: number;
}
/** Open one frame large. */
export interface OpenFrameMessage {
  type: 'openFrame';
  line: number;
  hash: string;
  index: number;
}

export type CurationFromWebview =
  | CurationReady
  | RequestRowsMessage
  | RequestFramesMessage
  | SetFilterMessage
  | EditMessage
  | RegenerateMessage
  | RevealMessage
  | OpenFrameMessage
  | SetGeneratorMessage;

//#endregion

//#region validation

const LINE = isInt(0, 100_000_000);
const PAIR = isInt(0, 100_000);
const HASH = isString(64);
const TEXT = isString(16 << 20);
/** Rows a webview may ask for at once. */
export const MAX_ROWS_PER_REQUEST = 200;

const isFilter = shape({ status: isOneOf(STATUS_FILTERS), generator: isOneOf(GENERATOR_FILTERS), text: isString(1000) });
const isPair = shape({
  question: TEXT,
  answer: TEXT,
  status: isOneOf(REVIEW_STATUSES),
  kind: isNullable(isString(100)),
  generator: isNullable(isString(100)),
  model: isNullable(isString(1000)),
  createdAt: isNullable(isString(100)),
  editedByUser: isBool,
  supportingFrames: isArrayOf(isInt(0, 10_000_000), 100_000),
  questionReadOnly: isBool,
});
const isRow = shape({
  line: LINE,
  hash: HASH,
  ok: isBool,
  error: isNullable(isString(10_000)),
  id: isString(10_000),
  schema: isNullable(isString(100)),
  contextHead: isString(100_000),
  contextLength: isInt(0, Number.MAX_SAFE_INTEGER),
  frameCount: isNullable(isInt(0, 10_000_000)),
  pairs: isArrayOf(isPair, 100_000),
  canAdd: isBool,
  canDelete: isBool,
  warnings: isArrayOf(isString(10_000), 1000),
});
const isStats = shape({
  rows: LINE,
  errors: LINE,
  pairs: isInt(0, Number.MAX_SAFE_INTEGER),
  new: isInt(0, Number.MAX_SAFE_INTEGER),
  accepted: isInt(0, Number.MAX_SAFE_INTEGER),
  rejected: isInt(0, Number.MAX_SAFE_INTEGER),
  flagged: isInt(0, Number.MAX_SAFE_INTEGER),
  complete: isBool,
});
const isField = isOneOf(['question', 'answer']);

const TO_WEBVIEW: Record<CurationToWebview['type'], Check> = {
  view: shape({
    type: isOneOf(['view']),
    file: isString(4096),
    lines: isArrayOf(LINE, 100_000_000),
    total: LINE,
    filter: isFilter,
    version: isInt(0, Number.MAX_SAFE_INTEGER),
    frameWidth: isInt(1, 8192),
    frameHeight: isInt(1, 8192),
    generator: isOneOf(QA_GENERATORS),
    llmModel: isString(1000),
    mode: isOneOf(['text', 'large']),
  }),
  rows: shape({ type: isOneOf(['rows']), version: isInt(0, Number.MAX_SAFE_INTEGER), rows: isArrayOf(isRow, MAX_ROWS_PER_REQUEST) }),
  stats: shape({ type: isOneOf(['stats']), stats: isStats }),
  frames: shape({
    type: isOneOf(['frames']),
    line: LINE,
    hash: HASH,
    frames: isArrayOf(shape({ index: isInt(0, 10_000_000), src: isString(4096), clipped: isBool }), 100_000),
    error: isNullable(isString(10_000)),
  }),
  focus: shape({ type: isOneOf(['focus']), line: LINE, pair: PAIR, field: isField }),
  busy: shape({ type: isOneOf(['busy']), line: LINE, pair: PAIR, busy: isBool }),
  notice: shape({ type: isOneOf(['notice']), level: isOneOf(['info', 'error']), message: isString(10_000) }),
  command: shape({ type: isOneOf(['command']), command: isOneOf(REVIEW_COMMANDS) }),
};

const isEdit: Check = (v) =>
  shape({ type: isOneOf(['setText']), pair: PAIR, field: isField, value: TEXT })(v) ||
  shape({ type: isOneOf(['setStatus']), pair: PAIR, status: isOneOf(REVIEW_STATUSES) })(v) ||
  shape({ type: isOneOf(['delete']), pair: PAIR })(v) ||
  shape({ type: isOneOf(['add']) })(v);

const FROM_WEBVIEW: Record<CurationFromWebview['type'], Check> = {
  ready: shape({ type: isOneOf(['ready']) }),
  requestRows: shape({ type: isOneOf(['requestRows']), lines: isArrayOf(LINE, MAX_ROWS_PER_REQUEST) }),
  requestFrames: shape({ type: isOneOf(['requestFrames']), line: LINE, hash: HASH }),
  setFilter: shape({ type: isOneOf(['setFilter']), filter: isFilter }),
  edit: shape({ type: isOneOf(['edit']), line: LINE, hash: HASH, edit: isEdit }),
  regenerate: shape({ type: isOneOf(['regenerate']), line: LINE, hash: HASH, pair: PAIR }),
  reveal: shape({ type: isOneOf(['reveal']), line: LINE }),
  openFrame: shape({ type: isOneOf(['openFrame']), line: LINE, hash: HASH, index: isInt(0, 10_000_000) }),
  setGenerator: shape({ type: isOneOf(['setGenerator']), generator: isOneOf(QA_GENERATORS) }),
};

/** A valid host→webview message, or undefined. */
export function parseCurationToWebview(message: unknown): CurationToWebview | undefined {
  return parseMessage<CurationToWebview>(TO_WEBVIEW, message);
}

/** A valid webview→host message, or undefined. */
export function parseCurationFromWebview(message: unknown): CurationFromWebview | undefined {
  return parseMessage<CurationFromWebview>(FROM_WEBVIEW, message);
}

/** FNV-1a (32-bit) of a line's UTF-16 text, as 8 hex digits: identifies the text a row was shown with. */
export function lineHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${(h >>> 0).toString(16).padStart(8, '0')}:${text.length.toString(36)}`;
}

//#endregion
