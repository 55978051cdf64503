/**
 * The one message protocol between the extension host and its webviews. Each direction is a discriminated union;
 * each message is checked at runtime on receipt (`parseToWebview` / `parseFromWebview`), because webviews show
 * untrusted dataset text and a message is only data until it has been validated. Unknown or malformed messages
 * are rejected (the receiver ignores and logs them).
 * Imported by src/extension (node) and webview/ (browser): no node or vscode imports here.
 */
import { SEGMENT_MODES, type SegmentMode } from '../vocabulary';
import { DEFAULT_MODEL_PROFILE, MODEL_PROFILES } from '../profiles';
import { isArrayOf, isBool, isFiniteNumber, isInt, isNullable, isObject, isOneOf, isString, parseMessage, shape, type Check } from '../validate';

//#region shared shapes

export { SEGMENT_MODES, type SegmentMode } from '../vocabulary';
export { MODEL_PROFILES, type ModelProfile } from '../profiles';

/** The panel's controls: each is a VS Code setting of the same name under `t2vid.` */
export interface PanelSettings {
  'segment.mode': SegmentMode;
  'segment.wordsPerFrame': number;
  'render.fontSize': number;
  /** Square frames from the panel; width and height separately in Settings. */
  'render.width': number;
  'render.height': number;
  'preview.modelProfile': string;
}

export type PanelSettingKey = keyof PanelSettings;

/** The settings' defaults (as in package.json's configuration), for values missing or invalid in settings.json. */
export const DEFAULT_PANEL_SETTINGS: Readonly<PanelSettings> = {
  'segment.mode': 'words',
  'segment.wordsPerFrame': 115,
  'render.fontSize': 20,
  'render.width': 448,
  'render.height': 448,
  'preview.modelProfile': DEFAULT_MODEL_PROFILE,
};

export interface FrameView {
  index: number;
  /** A webview resource URI of the rendered PNG; also the frame's identity (the file name is a content hash). */
  src: string;
  /**
   * The PNG itself, base64, for a frame the webview has not been sent before and is about to show (one an edit
   * changed, or a visible one on the first paint): shown as a data: URI without a fetch. Absent for the others.
   */
  data?: string;
  /** [start, end) character offsets in the previewed text. */
  range: [number, number];
  words: number;
}

export interface PreviewDocument {
  /** File name shown in the panel. */
  name: string;
  /** 'text': a whole document; 'sample': one record of a dataset (the one under the cursor). */
  kind: 'text' | 'sample';
  /** For a dataset sample: its 1-based line. */
  line?: number;
}

//#endregion

//#region to webview

/** The whole panel state (sent on `ready`, after every render and on every settings change). */
export interface StateMessage {
  type: 'state';
  document: PreviewDocument | null;
  /** Why there is nothing to show (empty document, unsupported file, a line that is not a sample), if so. */
  message: string | null;
  settings: PanelSettings;
  frames: FrameView[];
  /** Sum of words in all frames / frame count. */
  wordsPerFrame: number;
  /** Frame size in pixels, for the aspect ratio of thumbnails. */
  width: number;
  height: number;
  rendering: boolean;
  /** Render time of the last preview in milliseconds. */
  renderMs: number;
  /** Monotonic: a webview drops a state older than the one it has. */
  version: number;
}

/** The editor's cursor is inside this frame (-1: none). */
export interface HighlightMessage {
  type: 'highlight';
  index: number;
}

export type ToWebview = StateMessage | HighlightMessage;

//#endregion

//#region from webview

export interface ReadyMessage {
  type: 'ready';
  /** The webview painted the state it had persisted (a re-shown view): it has those frames already. */
  restored?: boolean;
}
/** Select and reveal the frame's source range in the editor. */
export interface SelectFrameMessage {
  type: 'selectFrame';
  index: number;
}
/** Open the frame large (double-click). */
export interface OpenFrameMessage {
  type: 'openFrame';
  index: number;
}
export interface UpdateSettingMessage {
  type: 'updateSetting';
  key: PanelSettingKey;
  value: string | number;
}
/** Write the previewed frames next to the document. */
export interface ExportFramesMessage {
  type: 'exportFrames';
}
export interface OpenSettingsMessage {
  type: 'openSettings';
}

export type FromWebview = ReadyMessage | SelectFrameMessage | OpenFrameMessage | UpdateSettingMessage | ExportFramesMessage | OpenSettingsMessage;

//#endregion

//#region validation

const INDEX = isInt(0, 10_000_000);

/** Allowed values of each panel setting (the same bounds as package.json's configuration). */
export const PANEL_SETTING_CHECKS: Record<PanelSettingKey, Check> = {
  'segment.mode': isOneOf(SEGMENT_MODES),
  'segment.wordsPerFrame': isInt(1, 100000),
  'render.fontSize': isInt(4, 512),
  'render.width': isInt(32, 8192),
  'render.height': isInt(32, 8192),
  'preview.modelProfile': isOneOf(MODEL_PROFILES.map((p) => p.id)),
};

const isSettings = shape(PANEL_SETTING_CHECKS);
const isRange: Check = (v) => Array.isArray(v) && v.length === 2 && INDEX(v[0]) && INDEX(v[1]) && (v[0] as number) <= (v[1] as number);
/** Largest inline PNG, in base64 characters (the host inlines frames up to INLINE_MAX_BYTES). */
export const INLINE_MAX_BYTES = 512 << 10;
/** Base64 of a PNG: it starts with the PNG signature (\x89PNG\r\n\x1a\n is "iVBORw0KGgo"), and nothing but base64. */
const isPngBase64: Check = (v) =>
  typeof v === 'string' && v.length <= Math.ceil(INLINE_MAX_BYTES / 3) * 4 && v.startsWith('iVBORw0KGgo') && v.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(v);
const isFrame = shape({ index: INDEX, src: isString(4096), range: isRange, words: INDEX }, { data: isPngBase64 });
const isDocument = shape({ name: isString(4096), kind: isOneOf(['text', 'sample']), line: (v) => v === undefined || INDEX(v) });
const isDocumentLoose: Check = (v) => isObject(v) && isDocument({ line: undefined, ...v });

const TO_WEBVIEW: Record<ToWebview['type'], Check> = {
  state: shape({
    type: isOneOf(['state']),
    document: isNullable(isDocumentLoose),
    message: isNullable(isString(4096)),
    settings: isSettings,
    frames: isArrayOf(isFrame),
    wordsPerFrame: isFiniteNumber,
    width: isInt(1, 8192),
    height: isInt(1, 8192),
    rendering: isBool,
    renderMs: isFiniteNumber,
    version: INDEX,
  }),
  highlight: shape({ type: isOneOf(['highlight']), index: isInt(-1, 10_000_000) }),
};

const FROM_WEBVIEW: Record<FromWebview['type'], Check> = {
  ready: shape({ type: isOneOf(['ready']) }, { restored: isBool }),
  selectFrame: shape({ type: isOneOf(['selectFrame']), index: INDEX }),
  openFrame: shape({ type: isOneOf(['openFrame']), index: INDEX }),
  updateSetting: (v) =>
    shape({ type: isOneOf(['updateSetting']), key: isOneOf(Object.keys(PANEL_SETTING_CHECKS)), value: (x) => typeof x === 'string' || typeof x === 'number' })(v) &&
    PANEL_SETTING_CHECKS[(v as UpdateSettingMessage).key]((v as UpdateSettingMessage).value),
  exportFrames: shape({ type: isOneOf(['exportFrames']) }),
  openSettings: shape({ type: isOneOf(['openSettings']) }),
};

/** A valid host→webview message, or undefined. */
export function parseToWebview(message: unknown): ToWebview | undefined {
  return parseMessage<ToWebview>(TO_WEBVIEW, message);
}

/** A valid webview→host message, or undefined. */
export function parseFromWebview(message: unknown): FromWebview | undefined {
  return parseMessage<FromWebview>(FROM_WEBVIEW, message);
}

//#endregion
