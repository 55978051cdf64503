/**
 * Engine options: one name per setting everywhere.
 * `fontSize` here is `t2vid.render.fontSize` in VS Code settings and `--font-size` in the CLI. Defaults and bounds come
 * from the option table (src/shared/settings.ts), which package.json's configuration is tied to by a unit test.
 */
import { createHash } from 'node:crypto';

import { boundsOf, SETTINGS, type SettingName } from '../shared/settings';
import {
  ALIGNS,
  COUNT_UNITS,
  PRESETS,
  SEGMENT_MODES,
  type Align,
  type CountUnit,
  type Preset,
  type SegmentMode,
} from '../shared/vocabulary';

export { ALIGNS, COUNT_UNITS, PRESETS, SEGMENT_MODES, type Align, type CountUnit, type Preset, type SegmentMode };
export { SETTINGS as OPTION_TABLE, SETTING_NAMES, settingKey, type SettingName, type SettingSpec } from '../shared/settings';

export interface SegmentOptions {
  /** How the context is cut into frames. */
  mode: SegmentMode;
  /** Words per frame in `words` mode; the maximum in `sentences` mode. */
  wordsPerFrame: number;
  /**
   * What wordsPerFrame counts: `words` (Intl.Segmenter word-like segments) or `tokens` (the T2Vid reference's
   * word_tokenize tokens: punctuation counts). resolveOptions always sets it; absent means `words`.
   */
  countUnit?: CountUnit;
  /** BCP-47 locale for Intl.Segmenter (word and sentence boundaries). Empty: detect from the text. */
  locale: string;
}

export interface RenderOptions {
  /**
   * The named preset these options were resolved from (`none`: the defaults); recorded in every manifest. Its values
   * are applied by resolveOptions (PRESET_OPTIONS); resolveOptions always sets it, absent means `none`.
   */
  preset?: Preset;
  width: number;
  height: number;
  /** Font size in pixels. */
  fontSize: number;
  /** Pango family list, first family first; bundled fonts are always registered. */
  fontFamily: string;
  /** Optional extra font file (TTF/OTF) to register; its family must be named in `fontFamily`. */
  fontFile: string;
  marginX: number;
  marginY: number;
  /** Extra space between lines, in pixels (0 = the font's natural line height). */
  lineSpacing: number;
  foreground: string;
  background: string;
  align: Align;
  /** PNG bit depth of greyscale frames: 4 (16 grey levels, default) or 8. Coloured frames are always 8-bit RGB. */
  bitDepth: 4 | 8;
}

export interface EngineOptions {
  segment: SegmentOptions;
  render: RenderOptions;
}

export const SEGMENT_KEYS = ['mode', 'wordsPerFrame', 'countUnit', 'locale'] as const satisfies ReadonlyArray<keyof SegmentOptions>;
export const RENDER_KEYS = [
  'preset',
  'width',
  'height',
  'fontSize',
  'fontFamily',
  'fontFile',
  'marginX',
  'marginY',
  'lineSpacing',
  'foreground',
  'background',
  'align',
  'bitDepth',
] as const satisfies ReadonlyArray<keyof RenderOptions>;

export const DEFAULT_SEGMENT: SegmentOptions = {
  mode: SETTINGS['segment.mode'].default,
  wordsPerFrame: SETTINGS['segment.wordsPerFrame'].default,
  countUnit: SETTINGS['segment.countUnit'].default,
  locale: SETTINGS['segment.locale'].default,
};

export const DEFAULT_FONT_FAMILY = SETTINGS['render.fontFamily'].default;

export const DEFAULT_RENDER: RenderOptions = {
  preset: SETTINGS['render.preset'].default,
  width: SETTINGS['render.width'].default,
  height: SETTINGS['render.height'].default,
  fontSize: SETTINGS['render.fontSize'].default,
  fontFamily: DEFAULT_FONT_FAMILY,
  fontFile: SETTINGS['render.fontFile'].default,
  marginX: SETTINGS['render.marginX'].default,
  marginY: SETTINGS['render.marginY'].default,
  lineSpacing: SETTINGS['render.lineSpacing'].default,
  foreground: SETTINGS['render.foreground'].default,
  background: SETTINGS['render.background'].default,
  align: SETTINGS['render.align'].default,
  bitDepth: SETTINGS['render.bitDepth'].default,
};

/**
 * What each preset sets. Precedence, lowest first: the option table's defaults, then the preset's values, then every
 * option the user set explicitly (a CLI flag, a VS Code setting with a value at any scope), so `--preset t2vid
 * --font-size 24` is the paper's frames at 24 px. resolveOptions applies it; nothing else does.
 */
export const PRESET_OPTIONS: Record<Preset, { segment: Partial<SegmentOptions>; render: Partial<RenderOptions> }> = {
  none: { segment: {}, render: {} },
  /**
   * The paper's frames (T2Vid / Sparrow, utils/text-to-images): 115 word_tokenize tokens a frame, Arial 20 px on
   * 448×448, 20 px side margins, the text block centred vertically (the Renderer always centres). Arimo is
   * metric-compatible with Arial (the same advance widths), so lines break where the reference's do. No top or bottom
   * margin: the reference lets a tall block run off the image, we let it use the whole height and never more (a
   * piece that does not fit carries on into the next frame). CJK falls back to the bundled Noto fonts.
   */
  t2vid: {
    segment: { mode: 'words', wordsPerFrame: 115, countUnit: 'tokens' },
    render: {
      width: 448,
      height: 448,
      fontSize: 20,
      fontFamily: 'Arimo,Noto Sans SC,Noto Sans KR',
      marginX: 20,
      marginY: 0,
      lineSpacing: 0,
      align: 'left',
      foreground: '#000000',
      background: '#ffffff',
    },
  },
};

/**
 * Thrown for options a user gave that cannot work; the message says which and why. `setting` names the bad setting
 * of the option table and `detail` is the message without the option's name, so that a shell can name the option
 * the way its user typed it (the CLI: `--font-size must be…`, not `fontSize must be…`).
 */
export class OptionError extends Error {
  constructor(
    message: string,
    readonly setting?: SettingName,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

/** An OptionError about one setting: "NAME DETAIL", NAME being the core option name (`fontSize`). */
function settingError(setting: SettingName, detail: string): OptionError {
  return new OptionError(`${setting.slice(setting.indexOf('.') + 1)} ${detail}`, setting, detail);
}

const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

export function parseColour(value: string, name: string, setting?: SettingName): [number, number, number] {
  if (!HEX.test(value)) {
    const detail = `must be a colour like #000000 or #fff, got ${JSON.stringify(value)}`;
    throw new OptionError(`${name} ${detail}`, setting, detail);
  }
  let hex = value.slice(1);
  if (hex.length === 3) {
    hex = hex
      .split('')
      .map((c) => c + c)
      .join('');
  }
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

function int(value: unknown, setting: SettingName): number {
  const { min, max } = boundsOf(setting);
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw settingError(setting, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Merge partial options over the defaults and check every value; throws OptionError naming the bad one. */
export function resolveOptions(partial: { segment?: Partial<SegmentOptions>; render?: Partial<RenderOptions> } = {}): EngineOptions {
  const preset = partial.render?.preset ?? DEFAULT_RENDER.preset!;
  if (!PRESETS.includes(preset)) {
    throw settingError('render.preset', `must be ${oneOf(PRESETS)}, got ${JSON.stringify(preset)}`);
  }
  const fromPreset = PRESET_OPTIONS[preset];
  const segment: SegmentOptions = { ...DEFAULT_SEGMENT, ...fromPreset.segment, ...stripUndefined(partial.segment ?? {}) };
  const render: RenderOptions = { ...DEFAULT_RENDER, ...fromPreset.render, ...stripUndefined(partial.render ?? {}), preset };
  if (!SEGMENT_MODES.includes(segment.mode)) {
    throw settingError('segment.mode', `must be ${oneOf(SEGMENT_MODES)}, got ${JSON.stringify(segment.mode)}`);
  }
  if (!COUNT_UNITS.includes(segment.countUnit!)) {
    throw settingError('segment.countUnit', `must be ${oneOf(COUNT_UNITS)}, got ${JSON.stringify(segment.countUnit)}`);
  }
  segment.wordsPerFrame = int(segment.wordsPerFrame, 'segment.wordsPerFrame');
  render.width = int(render.width, 'render.width');
  render.height = int(render.height, 'render.height');
  render.fontSize = int(render.fontSize, 'render.fontSize');
  render.marginX = int(render.marginX, 'render.marginX');
  render.marginY = int(render.marginY, 'render.marginY');
  render.lineSpacing = int(render.lineSpacing, 'render.lineSpacing');
  const depths: readonly number[] = SETTINGS['render.bitDepth'].enum;
  const depth =
    typeof render.bitDepth === 'string' && (render.bitDepth as string).trim() !== '' ? Number(render.bitDepth) : render.bitDepth;
  if (!depths.includes(depth)) {
    throw settingError('render.bitDepth', `must be ${oneOf(depths)}, got ${JSON.stringify(render.bitDepth)}`);
  }
  render.bitDepth = depth as 4 | 8;
  if (!ALIGNS.includes(render.align)) {
    throw settingError('render.align', `must be ${oneOf(ALIGNS)}, got ${JSON.stringify(render.align)}`);
  }
  if (render.width - 2 * render.marginX < render.fontSize || render.height - 2 * render.marginY < render.fontSize * 1.5) {
    throw new OptionError(
      `the frame (${render.width}×${render.height}) leaves no room for ${render.fontSize}px text inside margins of ${render.marginX}/${render.marginY}px`,
    );
  }
  if (typeof render.fontFamily !== 'string' || !render.fontFamily.trim() || /[<>&"]/.test(render.fontFamily)) {
    throw settingError(
      'render.fontFamily',
      `must be a font family list like "DejaVu Sans,Noto Sans SC", got ${JSON.stringify(render.fontFamily)}`,
    );
  }
  parseColour(render.foreground, 'foreground', 'render.foreground');
  parseColour(render.background, 'background', 'render.background');
  return { segment, render };
}

/** `a, b or c`. */
function oneOf(values: readonly (string | number)[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : String(values[0]);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A stable key of everything that changes the frames: same key, same pixels. */
export function optionsKey(options: EngineOptions, engineVersion: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: engineVersion, s: options.segment, r: options.render }))
    .digest('hex')
    .slice(0, 16);
}
