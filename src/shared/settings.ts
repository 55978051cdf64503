/**
 * The option table: every setting once, with one name everywhere. `render.fontSize` is the core option
 * (`EngineOptions.render.fontSize`), the VS Code setting `t2vid.render.fontSize` and the CLI flag `--font-size`; its
 * default and bounds here are the ones resolveOptions checks, the CLI's help and parsing use, the extension's settings
 * readers fall back to, and package.json's `contributes.configuration` declares (a unit test ties package.json to
 * this table both ways). Browser-safe (the Frames view's protocol can take its defaults from here): it imports only
 * the vocabulary and the model profiles.
 */
import { MODEL_PROFILE_IDS, DEFAULT_MODEL_PROFILE } from './profiles';
import { ALIGNS, COUNT_UNITS, PRESETS, QA_GENERATORS, SEGMENT_MODES } from './vocabulary';

/** The titled sections of the Settings editor, in their order. */
export const SETTING_SECTIONS = ['Rendering', 'Segmentation', 'Q&A', 'Output'] as const;
export type SettingSection = (typeof SETTING_SECTIONS)[number];

export interface SettingSpec {
  section: SettingSection;
  type: 'integer' | 'string';
  default: number | string;
  /** The CLI flag that sets it (none: the setting has no CLI counterpart). */
  flag?: string;
  minimum?: number;
  maximum?: number;
  enum?: readonly (string | number)[];
  /** A regular expression a string value must match. */
  pattern?: string;
}

const COLOUR = '^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$';

/** Keyed by the core option name; the VS Code setting is `t2vid.` + the key. In Settings-editor order. */
export const SETTINGS = {
  'render.preset': { section: 'Rendering', type: 'string', default: 'none', enum: PRESETS, flag: '--preset' },
  'render.width': { section: 'Rendering', type: 'integer', default: 448, minimum: 32, maximum: 8192, flag: '--size' },
  'render.height': { section: 'Rendering', type: 'integer', default: 448, minimum: 32, maximum: 8192, flag: '--size' },
  'render.fontSize': { section: 'Rendering', type: 'integer', default: 20, minimum: 4, maximum: 512, flag: '--font-size' },
  'render.fontFamily': { section: 'Rendering', type: 'string', default: 'DejaVu Sans,Noto Sans SC,Noto Sans KR', flag: '--font' },
  'render.fontFile': { section: 'Rendering', type: 'string', default: '', flag: '--font-file' },
  'render.marginX': { section: 'Rendering', type: 'integer', default: 20, minimum: 0, maximum: 4096, flag: '--margin-x' },
  'render.marginY': { section: 'Rendering', type: 'integer', default: 20, minimum: 0, maximum: 4096, flag: '--margin-y' },
  'render.lineSpacing': { section: 'Rendering', type: 'integer', default: 0, minimum: 0, maximum: 1024, flag: '--line-spacing' },
  'render.foreground': { section: 'Rendering', type: 'string', default: '#000000', pattern: COLOUR, flag: '--foreground' },
  'render.background': { section: 'Rendering', type: 'string', default: '#ffffff', pattern: COLOUR, flag: '--background' },
  'render.align': { section: 'Rendering', type: 'string', default: 'left', enum: ALIGNS, flag: '--align' },
  'render.bitDepth': { section: 'Rendering', type: 'integer', default: 4, enum: [4, 8], flag: '--bit-depth' },
  'preview.modelProfile': { section: 'Rendering', type: 'string', default: DEFAULT_MODEL_PROFILE, enum: MODEL_PROFILE_IDS },
  'segment.mode': { section: 'Segmentation', type: 'string', default: 'fit', enum: SEGMENT_MODES, flag: '--mode' },
  'segment.wordsPerFrame': { section: 'Segmentation', type: 'integer', default: 115, minimum: 1, maximum: 100000, flag: '--words' },
  'segment.countUnit': { section: 'Segmentation', type: 'string', default: 'words', enum: COUNT_UNITS, flag: '--count' },
  'segment.locale': { section: 'Segmentation', type: 'string', default: '', flag: '--locale' },
  'input.fields': { section: 'Segmentation', type: 'string', default: '', flag: '--fields' },
  'qa.generator': { section: 'Q&A', type: 'string', default: 'builtin', enum: QA_GENERATORS, flag: '--generator' },
  'qa.perDoc': { section: 'Q&A', type: 'integer', default: 5, minimum: 1, maximum: 100, flag: '--per-doc' },
  'qa.seed': { section: 'Q&A', type: 'integer', default: 1, minimum: 0, flag: '--seed' },
  'qa.baseUrl': { section: 'Q&A', type: 'string', default: '', flag: '--base-url' },
  'qa.model': { section: 'Q&A', type: 'string', default: '', flag: '--model' },
  'qa.concurrency': { section: 'Q&A', type: 'integer', default: 4, minimum: 1, maximum: 64, flag: '--concurrency' },
  'qa.timeoutMs': { section: 'Q&A', type: 'integer', default: 120000, minimum: 1, flag: '--timeout-ms' },
  'qa.budgetTokens': { section: 'Q&A', type: 'integer', default: 0, minimum: 0, flag: '--budget-tokens' },
  'output.folder': { section: 'Output', type: 'string', default: 't2vid-out', flag: '--out' },
  'output.format': { section: 'Output', type: 'string', default: 'minicpm-v', enum: ['minicpm-v', 'none'], flag: '--format' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** The VS Code setting of an option: `t2vid.render.fontSize`. */
export function settingKey(name: SettingName): string {
  return `t2vid.${name}`;
}

/** The lower and upper bound of a whole-number setting (unbounded sides are ±Infinity). */
export function boundsOf(name: SettingName): { min: number; max: number } {
  const spec: SettingSpec = SETTINGS[name];
  return { min: spec.minimum ?? -Infinity, max: spec.maximum ?? Infinity };
}

/** Whether `value` is a valid value of the setting (type, bounds, enum, pattern). */
export function isValidSetting(name: SettingName, value: unknown): boolean {
  const spec: SettingSpec = SETTINGS[name];
  if (spec.type === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return false;
    }
    const { min, max } = boundsOf(name);
    if (value < min || value > max) {
      return false;
    }
  } else if (typeof value !== 'string') {
    return false;
  }
  if (spec.enum && !spec.enum.includes(value as string | number)) {
    return false;
  }
  return spec.pattern === undefined || new RegExp(spec.pattern).test(value as string);
}

/** The per-scope values of a setting, as VS Code's `WorkspaceConfiguration.inspect` reports them. */
export interface InspectedSetting {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  globalLanguageValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

/**
 * Whether the user set a setting at some scope (user, workspace, folder, or a language override). A setting set
 * anywhere overrides the preset (`t2vid.render.preset`); one set nowhere takes the preset's value, then the default.
 */
export function isSetAnywhere(inspected: InspectedSetting | undefined): boolean {
  return (
    inspected !== undefined &&
    [
      inspected.globalValue,
      inspected.workspaceValue,
      inspected.workspaceFolderValue,
      inspected.globalLanguageValue,
      inspected.workspaceLanguageValue,
      inspected.workspaceFolderLanguageValue,
    ].some((v) => v !== undefined && v !== null)
  );
}
