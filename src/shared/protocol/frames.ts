/**
 * The messages between the extension host and the Frames view. Each message is defined once, as a schema; its
 * type and its runtime check both come from it. Each direction is a discriminated union on `type`, scoped to the
 * view (`frames/…`), checked on receipt (`parseToWebview` / `parseFromWebview`): webviews show untrusted dataset
 * text, and a message is only data until it has been validated. Unknown or malformed messages are rejected (the
 * receiver ignores and logs them).
 * Imported by src/extension (node) and webview/ (browser): no node or vscode imports here.
 */
import { SEGMENT_MODES } from '../vocabulary';
import { MODEL_PROFILE_IDS } from '../profiles';
import { SETTINGS } from '../settings';
import * as v from 'valibot';
import { finite, int, message, parser, text } from './schema';

export { SEGMENT_MODES, type SegmentMode } from '../vocabulary';
export { MODEL_PROFILES, type ModelProfile } from '../profiles';

//#region shared shapes

const INDEX = int(0, 10_000_000);

/** A whole-number setting's schema, with the bounds of the option table (src/shared/settings.ts). */
function intSetting(name: 'segment.wordsPerFrame' | 'render.fontSize' | 'render.width' | 'render.height') {
  return int(SETTINGS[name].minimum, SETTINGS[name].maximum);
}

/**
 * The panel's controls: each is a VS Code setting of the same name under `t2vid.`, with the same bounds as
 * package.json's configuration. Square frames from the panel; width and height separately in Settings.
 */
export const PANEL_SETTING_SCHEMAS = {
  'segment.mode': v.picklist(SEGMENT_MODES),
  'segment.wordsPerFrame': intSetting('segment.wordsPerFrame'),
  'render.fontSize': intSetting('render.fontSize'),
  'render.width': intSetting('render.width'),
  'render.height': intSetting('render.height'),
  'preview.modelProfile': v.picklist(MODEL_PROFILE_IDS),
};

const PanelSettingsSchema = v.strictObject(PANEL_SETTING_SCHEMAS);
export type PanelSettings = v.InferOutput<typeof PanelSettingsSchema>;
export type PanelSettingKey = keyof PanelSettings;
export const PANEL_SETTING_KEYS = Object.keys(PANEL_SETTING_SCHEMAS) as PanelSettingKey[];

/** Whether a value is allowed for a panel setting (the webview checks before sending; the host checks again). */
export const PANEL_SETTING_CHECKS = Object.fromEntries(
  PANEL_SETTING_KEYS.map((key) => [key, (value: unknown) => v.is(PANEL_SETTING_SCHEMAS[key], value)]),
) as unknown as Record<PanelSettingKey, (value: unknown) => boolean>;

/** The settings' defaults (the option table's), for values missing or invalid in settings.json. */
export const DEFAULT_PANEL_SETTINGS: Readonly<PanelSettings> = Object.fromEntries(
  PANEL_SETTING_KEYS.map((key) => [key, SETTINGS[key].default]),
) as unknown as PanelSettings;

/** Largest inline PNG, in bytes (the host inlines frames up to this size). */
export const INLINE_MAX_BYTES = 512 << 10;

/** Base64 of a PNG: it starts with the PNG signature (\x89PNG\r\n\x1a\n is "iVBORw0KGgo"), and nothing but base64. */
const PngBase64 = v.pipe(
  v.string(),
  v.maxLength(Math.ceil(INLINE_MAX_BYTES / 3) * 4),
  v.startsWith('iVBORw0KGgo'),
  v.check((s) => s.length % 4 === 0, 'base64 length is not a multiple of 4'),
  v.regex(/^[A-Za-z0-9+/]*={0,2}$/),
);

const FrameViewSchema = v.strictObject({
  index: INDEX,
  /** A webview resource URI of the rendered PNG; also the frame's identity (the file name is a content hash). */
  src: text(4096),
  /**
   * The PNG itself, base64, for a frame the webview has not been sent before and is about to show (one an edit
   * changed, or a visible one on the first paint): shown as a data: URI without a fetch. Absent for the others.
   */
  data: v.exactOptional(PngBase64),
  /** [start, end) character offsets in the previewed text. */
  range: v.pipe(
    v.strictTuple([INDEX, INDEX]),
    v.check(([start, end]) => start <= end, 'range ends before it starts'),
  ),
  words: INDEX,
});
export type FrameView = v.InferOutput<typeof FrameViewSchema>;

const PreviewDocumentSchema = v.strictObject({
  /** File name shown in the panel. */
  name: text(4096),
  /** 'text': a whole document; 'sample': one record of a dataset (the one under the cursor). */
  kind: v.picklist(['text', 'sample']),
  /** For a dataset sample: its 1-based line. */
  line: v.optional(INDEX),
});
export type PreviewDocument = v.InferOutput<typeof PreviewDocumentSchema>;

//#endregion

//#region to webview

/**
 * Most frames in one message (a state's window or a range answer). A long document has thousands of frames; the
 * webview only ever holds those near its viewport and asks for more as it scrolls (`frames/requestRange`).
 */
export const MAX_WINDOW = 256;

/** A run of consecutive frames: `frames[i]` is the frame at position `start + i` (its index). */
const windowEntries = {
  /** Position of frames[0]. */
  start: INDEX,
  frames: v.pipe(v.array(FrameViewSchema), v.maxLength(MAX_WINDOW)),
};
const consecutive = <T extends { start: number; frames: FrameView[] }>(m: T): boolean => m.frames.every((f, i) => f.index === m.start + i);
const CONSECUTIVE = 'frames[i].index must be start + i';

/**
 * The panel state (sent on `frames/ready`, as a render streams its frames in, after every render and on every
 * settings change). It never carries every frame: `count` says how many there are (so far, while `complete` is
 * false) and `frames` is the window the webview shows (its last requested range, or the frames around `reveal`).
 */
const StateSchema = v.pipe(
  message('frames/state', {
    document: v.nullable(PreviewDocumentSchema),
    /** Why there is nothing to show (empty document, unsupported file, a line that is not a sample), if so. */
    message: v.nullable(text(4096)),
    settings: PanelSettingsSchema,
    ...windowEntries,
    /** Frames known: all of them once `complete`, else those rendered so far (more stream in). */
    count: INDEX,
    /** Whether `count` is the document's total. */
    complete: v.boolean(),
    /** A frame position to scroll into view (the one under the editor's cursor on a first paint), or -1. */
    reveal: int(-1, 10_000_000),
    /** Sum of words in all frames / frame count (of the frames known). */
    wordsPerFrame: finite(),
    /** Frame size in pixels, for the aspect ratio of thumbnails. */
    width: int(1, 8192),
    height: int(1, 8192),
    rendering: v.boolean(),
    /** Render time of the last preview in milliseconds. */
    renderMs: finite(),
    /** Monotonic: a webview drops a state older than the one it has. */
    version: INDEX,
  }),
  v.check(consecutive, CONSECUTIVE),
  v.check((m) => m.start + m.frames.length <= m.count, 'the window runs past count'),
);
export type StateMessage = v.InferOutput<typeof StateSchema>;

/** The frames of a `frames/requestRange`, from the state `version` (a webview drops an answer for another version). */
const RangeSchema = v.pipe(message('frames/range', { version: INDEX, ...windowEntries }), v.check(consecutive, CONSECUTIVE));
export type RangeMessage = v.InferOutput<typeof RangeSchema>;

/** The editor's cursor is inside this frame (-1: none). */
const HighlightSchema = message('frames/highlight', { index: int(-1, 10_000_000) });
export type HighlightMessage = v.InferOutput<typeof HighlightSchema>;

export const ToWebviewSchema = v.union([StateSchema, RangeSchema, HighlightSchema]);
export type ToWebview = v.InferOutput<typeof ToWebviewSchema>;

//#endregion

//#region from webview

/** The webview listens: send it the state. `restored`: it painted the state it had persisted (a re-shown view). */
const ReadySchema = message('frames/ready', { restored: v.exactOptional(v.boolean()) });
/** Select and reveal the frame's source range in the editor. */
const SelectFrameSchema = message('frames/selectFrame', { index: INDEX });
/** Open the frame large (double-click). */
const OpenFrameSchema = message('frames/openFrame', { index: INDEX });
/** Change one setting: one schema per key, so the value is checked against that key's bounds. */
const updateSettingSchema = <K extends PanelSettingKey>(key: K) =>
  message('frames/updateSetting', { key: v.literal(key), value: PANEL_SETTING_SCHEMAS[key] });
type UpdateSettingSchema = ReturnType<typeof updateSettingSchema<PanelSettingKey>>;
const UpdateSettingSchema = v.variant(
  'key',
  PANEL_SETTING_KEYS.map(updateSettingSchema) as [UpdateSettingSchema, ...UpdateSettingSchema[]],
);
/** Write the previewed frames next to the document. */
const ExportFramesSchema = message('frames/exportFrames', {});
/** Open the T2Vid settings. */
const OpenSettingsSchema = message('frames/openSettings', {});
/** Send the frames at positions [start, end) of state `version` (what the webview is scrolled to). */
const RequestRangeSchema = v.pipe(
  message('frames/requestRange', { version: INDEX, start: INDEX, end: INDEX }),
  v.check((m) => m.start <= m.end && m.end - m.start <= MAX_WINDOW, `a range of 0 to ${MAX_WINDOW} frames`),
);

export const FromWebviewSchema = v.union([
  ReadySchema,
  SelectFrameSchema,
  OpenFrameSchema,
  UpdateSettingSchema,
  ExportFramesSchema,
  OpenSettingsSchema,
  RequestRangeSchema,
]);
export type FromWebview = v.InferOutput<typeof FromWebviewSchema>;

//#endregion

/** A valid host→webview message, or undefined. */
export const parseToWebview = parser(ToWebviewSchema);

/** A valid webview→host message, or undefined. */
export const parseFromWebview = parser(FromWebviewSchema);
