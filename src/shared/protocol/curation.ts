/**
 * Messages between the curation editor and its webview. Each message is defined once, as a schema; its type and
 * its runtime check both come from it. Each direction is a discriminated union on `type`, scoped to the view
 * (`curation/…`), checked on receipt: the webview shows untrusted dataset text, and a message is only data until it
 * has been validated. Imported by src/extension (node) and webview/ (browser): no node or vscode imports here.
 *
 * Rows are addressed by their 0-based document line and the hash of the line's text as the webview saw it: the host
 * applies an edit only if the line still has that text (or a text the host itself wrote since), so an edit never
 * lands on a line that changed under it.
 */
import { GENERATOR_FILTERS, QA_GENERATORS, REVIEW_STATUSES, STATUS_FILTERS } from '../vocabulary';
import * as v from 'valibot';
import { int, intArray, message, parser, text } from './schema';

export {
  GENERATOR_FILTERS,
  QA_GENERATORS,
  REVIEW_STATUSES,
  STATUS_FILTERS,
  type QAGenerator,
  type ReviewStatus,
  type RowFilter,
} from '../vocabulary';

//#region shared shapes

const LINE = int(0, 100_000_000);
const PAIR = int(0, 100_000);
const FRAME = int(0, 10_000_000);
const COUNT = int(0, Number.MAX_SAFE_INTEGER);
const HASH = text(64);
const TEXT = text(16 << 20);
/** Rows a webview may ask for (and the host send) at once. */
export const MAX_ROWS_PER_REQUEST = 200;

const FIELDS = ['question', 'answer'] as const;
const Field = v.picklist(FIELDS);

const RowFilterSchema = v.strictObject({
  status: v.picklist(STATUS_FILTERS),
  generator: v.picklist(GENERATOR_FILTERS),
  /** Case-insensitive substring of the id, a question or an answer. */
  text: text(1000),
});

const PairViewSchema = v.strictObject({
  question: TEXT,
  answer: TEXT,
  status: v.picklist(REVIEW_STATUSES),
  kind: v.nullable(text(100)),
  generator: v.nullable(text(100)),
  model: v.nullable(text(1000)),
  createdAt: v.nullable(text(100)),
  editedByUser: v.boolean(),
  /** 0-based frame indices. */
  supportingFrames: intArray(0, 10_000_000, 100_000),
  questionReadOnly: v.boolean(),
});
export type PairView = v.InferOutput<typeof PairViewSchema>;

const RowViewSchema = v.strictObject({
  /** 0-based document line. */
  line: LINE,
  /** Hash of the line's text (lineHash). */
  hash: HASH,
  ok: v.boolean(),
  /** Why the line is not a sample (ok false). */
  error: v.nullable(text(10_000)),
  id: text(10_000),
  schema: v.nullable(text(100)),
  /** The first characters of the context. */
  contextHead: text(100_000),
  contextLength: COUNT,
  /** Frames recorded in the line, or null if they are computed from the settings when shown. */
  frameCount: v.nullable(FRAME),
  pairs: v.pipe(v.array(PairViewSchema), v.maxLength(100_000)),
  canAdd: v.boolean(),
  canDelete: v.boolean(),
  warnings: v.pipe(v.array(text(10_000)), v.maxLength(1000)),
});
export type RowView = v.InferOutput<typeof RowViewSchema>;

const StatsViewSchema = v.strictObject({
  rows: LINE,
  errors: LINE,
  pairs: COUNT,
  new: COUNT,
  accepted: COUNT,
  rejected: COUNT,
  flagged: COUNT,
  complete: v.boolean(),
});
export type StatsView = v.InferOutput<typeof StatsViewSchema>;

const FrameThumbSchema = v.strictObject({
  index: FRAME,
  /** A webview resource URI of the PNG. */
  src: text(4096),
  /** The recorded range does not fit a frame at the current settings; the image is cut at the frame's edge. */
  clipped: v.boolean(),
});
export type FrameThumb = v.InferOutput<typeof FrameThumbSchema>;

export const REVIEW_COMMANDS = ['next', 'previous', 'accept', 'reject', 'flag', 'edit', 'find'] as const;
export type ReviewCommand = (typeof REVIEW_COMMANDS)[number];

//#endregion

//#region to webview

/** The rows to list (after the filter), in order; sent on open, on a filter change and when lines move. */
const ViewSchema = message('curation/view', {
  file: text(4096),
  lines: intArray(0, 100_000_000, 100_000_000),
  total: LINE,
  filter: RowFilterSchema,
  /** Monotonic: rows the webview holds from an older view are re-requested. */
  version: COUNT,
  /** Settings that shape the editor (frame aspect ratio). */
  frameWidth: int(1, 8192),
  frameHeight: int(1, 8192),
  /** The generator "Regenerate" uses (the t2vid.qa.generator setting) and the LLM's model name (t2vid.qa.model). */
  generator: v.picklist(QA_GENERATORS),
  llmModel: text(1000),
  /** 'large': the large-file editor (lines read on demand; no text editor to show a line in). */
  mode: v.picklist(['text', 'large']),
});
export type ViewMessage = v.InferOutput<typeof ViewSchema>;

/** Row contents, answering curation/requestRows, or pushed after an edit. */
const RowsSchema = message('curation/rows', { version: COUNT, rows: v.pipe(v.array(RowViewSchema), v.maxLength(MAX_ROWS_PER_REQUEST)) });

const StatsSchema = message('curation/stats', { stats: StatsViewSchema });

/** A row's frame strip (or why it could not be rendered). */
const FramesSchema = message('curation/frames', {
  line: LINE,
  hash: HASH,
  frames: v.pipe(v.array(FrameThumbSchema), v.maxLength(100_000)),
  error: v.nullable(text(10_000)),
});

/** Put the caret in a field (after "add pair"). */
const FocusSchema = message('curation/focus', { line: LINE, pair: PAIR, field: Field });

/** A pair is being regenerated (or done). */
const BusySchema = message('curation/busy', { line: LINE, pair: PAIR, busy: v.boolean() });

const NoticeSchema = message('curation/notice', { level: v.picklist(['info', 'error']), message: text(10_000) });

/** A review command from the palette or a keybinding (the same as the webview's own keys). */
const CommandSchema = message('curation/command', { command: v.picklist(REVIEW_COMMANDS) });

export const CurationToWebviewSchema = v.variant('type', [
  ViewSchema,
  RowsSchema,
  StatsSchema,
  FramesSchema,
  FocusSchema,
  BusySchema,
  NoticeSchema,
  CommandSchema,
]);
export type CurationToWebview = v.InferOutput<typeof CurationToWebviewSchema>;

//#endregion

//#region from webview

/** One change to a row's pairs (applied by the host to the line, if its hash still matches). */
const CurationEditSchema = v.variant('type', [
  v.strictObject({ type: v.literal('setText'), pair: PAIR, field: Field, value: TEXT }),
  v.strictObject({ type: v.literal('setStatus'), pair: PAIR, status: v.picklist(REVIEW_STATUSES) }),
  v.strictObject({ type: v.literal('delete'), pair: PAIR }),
  v.strictObject({ type: v.literal('add') }),
]);
export type CurationEdit = v.InferOutput<typeof CurationEditSchema>;

/** The webview listens: send it the view. */
const ReadySchema = message('curation/ready', {});
const RequestRowsSchema = message('curation/requestRows', { lines: intArray(0, 100_000_000, MAX_ROWS_PER_REQUEST) });
const RequestFramesSchema = message('curation/requestFrames', { line: LINE, hash: HASH });
const SetFilterSchema = message('curation/setFilter', { filter: RowFilterSchema });
const EditSchema = message('curation/edit', { line: LINE, hash: HASH, edit: CurationEditSchema });
const RegenerateSchema = message('curation/regenerate', { line: LINE, hash: HASH, pair: PAIR });
/** Show the line in a text editor. */
const RevealSchema = message('curation/reveal', { line: LINE });
/** Open one frame large. */
const OpenFrameSchema = message('curation/openFrame', { line: LINE, hash: HASH, index: FRAME });
/** Choose the generator "Regenerate" uses (writes the t2vid.qa.generator workspace setting). */
const SetGeneratorSchema = message('curation/setGenerator', { generator: v.picklist(QA_GENERATORS) });

export const CurationFromWebviewSchema = v.variant('type', [
  ReadySchema,
  RequestRowsSchema,
  RequestFramesSchema,
  SetFilterSchema,
  EditSchema,
  RegenerateSchema,
  RevealSchema,
  OpenFrameSchema,
  SetGeneratorSchema,
]);
export type CurationFromWebview = v.InferOutput<typeof CurationFromWebviewSchema>;

//#endregion

/** A valid host→webview message, or undefined. */
export const parseCurationToWebview = parser(CurationToWebviewSchema);

/** A valid webview→host message, or undefined. */
export const parseCurationFromWebview = parser(CurationFromWebviewSchema);

/** FNV-1a (32-bit) of a line's UTF-16 text, as 8 hex digits: identifies the text a row was shown with. */
export function lineHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${(h >>> 0).toString(16).padStart(8, '0')}:${text.length.toString(36)}`;
}
