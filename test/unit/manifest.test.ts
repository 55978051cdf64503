/**
 * package.json as VS Code reads it, tied to the one definition of each name: every `t2vid.*` setting (type, default,
 * enum, bounds) against the option table (src/shared/settings.ts), both ways; the enums against the vocabulary, the
 * model profiles and the dataset formats; the when-clauses against the file types (src/shared/fileTypes.ts); the
 * core's defaults and bounds, the CLI's flags and help, and the Frames view's copy of the panel settings against the
 * table. A setting in one place and not the other fails here.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ENGINE_ARGS } from '../../src/cli/common';
import { HELP } from '../../src/cli/main';
import { QA_ARGS, QA_HELP } from '../../src/cli/qa';
import { SYNTH_ARGS } from '../../src/cli/synth';
import { DEFAULT_RENDER, DEFAULT_SEGMENT, OptionError, RENDER_KEYS, resolveOptions, SEGMENT_KEYS } from '../../src/core/options';
import { DATASET_FORMATS } from '../../src/core/synth';
import { JSON_EXTENSIONS, JSONL_EXTENSIONS, PARQUET_EXTENSIONS, SUPPORTED_EXTENSIONS, TEXT_EXTENSIONS } from '../../src/shared/fileTypes';
import { MODEL_PROFILES } from '../../src/shared/profiles';
import { DEFAULT_PANEL_SETTINGS, PANEL_SETTING_CHECKS, type PanelSettingKey } from '../../src/shared/protocol/frames';
import {
  isValidSetting,
  SETTING_NAMES,
  SETTING_SECTIONS,
  SETTINGS,
  settingKey,
  type SettingName,
  type SettingSpec,
} from '../../src/shared/settings';
import { ALIGNS, COUNT_UNITS, PRESETS, QA_GENERATORS, SEGMENT_MODES } from '../../src/shared/vocabulary';
import {
  DATA_SYNC_MODES,
  SLURM_LAUNCHERS,
  SLURM_SUBMIT_VIA,
  SWEEP_EVALUATION_FIELDS,
  TASK_FRAMEWORKS,
  TASK_KINDS,
  TASK_TARGETS,
  TASK_TYPE,
} from '../../src/shared/tasks';
import { repoRoot } from '../support/helpers';

interface Property {
  type: string;
  default: unknown;
  enum?: unknown[];
  enumDescriptions?: string[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  description?: string;
  markdownDescription?: string;
  order?: number;
}
interface Section {
  id: string;
  title: string;
  order: number;
  properties: Record<string, Property>;
}
interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
interface Manifest {
  icon?: string;
  repository?: { url: string };
  activationEvents: string[];
  contributes: {
    configuration: Section[];
    commands: Array<{ command: string; title: string; category: string; icon?: string }>;
    menus: Record<string, MenuItem[]>;
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as Manifest;
const sections = manifest.contributes.configuration;
const properties = new Map(
  sections.flatMap((s) => Object.entries(s.properties).map(([key, p]) => [key, { ...p, section: s.title }] as const)),
);
const spec = (name: SettingName): SettingSpec => SETTINGS[name];

test('contributes.configuration: one titled, ordered section per SETTING_SECTIONS entry, each setting with a markdownDescription', () => {
  assert.ok(Array.isArray(sections), 'configuration is an array of sections');
  assert.deepEqual(
    sections.map((s) => s.title),
    [...SETTING_SECTIONS],
  );
  assert.deepEqual(
    sections.map((s) => s.order),
    SETTING_SECTIONS.map((_, i) => i + 1),
  );
  for (const section of sections) {
    assert.ok(section.id.startsWith('t2vid.'), `section id ${section.id}`);
    const orders = Object.values(section.properties).map((p) => p.order);
    assert.deepEqual(
      orders,
      orders.map((_, i) => i + 1),
      `${section.title}: settings ordered 1..n`,
    );
    for (const [key, p] of Object.entries(section.properties)) {
      assert.ok(p.markdownDescription && p.markdownDescription.length > 10, `${key} has a markdownDescription`);
      assert.equal(p.description, undefined, `${key}: one description (markdownDescription), not two`);
    }
  }
});

test('every t2vid.* setting in package.json is in the option table and every table entry is in package.json', () => {
  const declared = [...properties.keys()].sort();
  assert.deepEqual(declared, SETTING_NAMES.map(settingKey).sort());
  for (const name of SETTING_NAMES) {
    const p = properties.get(settingKey(name))!;
    const s = spec(name);
    assert.equal(p.section, s.section, `${name}: section`);
    assert.equal(p.type, s.type, `${name}: type`);
    assert.deepEqual(p.default, s.default, `${name}: default`);
    assert.deepEqual(p.enum, s.enum === undefined ? undefined : [...s.enum], `${name}: enum`);
    assert.equal(p.minimum, s.minimum, `${name}: minimum`);
    assert.equal(p.maximum, s.maximum, `${name}: maximum`);
    assert.equal(p.pattern, s.pattern, `${name}: pattern`);
    assert.ok(isValidSetting(name, s.default), `${name}: the default is a valid value`);
    if (p.enumDescriptions) {
      assert.equal(p.enumDescriptions.length, p.enum?.length, `${name}: one enum description per value`);
    }
  }
});

test('the enums are the shared vocabulary, model profiles and dataset formats', () => {
  assert.deepEqual(spec('segment.mode').enum, SEGMENT_MODES);
  assert.deepEqual(spec('segment.countUnit').enum, COUNT_UNITS);
  assert.deepEqual(spec('render.preset').enum, PRESETS);
  assert.deepEqual(spec('render.align').enum, ALIGNS);
  assert.deepEqual(spec('qa.generator').enum, QA_GENERATORS);
  assert.deepEqual(spec('output.format').enum, DATASET_FORMATS);
  assert.deepEqual(
    spec('preview.modelProfile').enum,
    MODEL_PROFILES.map((p) => p.id),
  );
  // The descriptions the Settings editor shows carry the profiles' own numbers.
  assert.deepEqual(
    properties.get('t2vid.preview.modelProfile')!.enumDescriptions,
    MODEL_PROFILES.map((p) => `${p.label} — ${p.tokensPerFrame} visual tokens per frame: ${p.note}.`),
  );
});

test('the core defaults are the table defaults; resolveOptions takes each bound and rejects one past it', () => {
  for (const key of SEGMENT_KEYS) {
    assert.deepEqual(DEFAULT_SEGMENT[key], spec(`segment.${key}`).default, `segment.${key}`);
  }
  for (const key of RENDER_KEYS) {
    assert.deepEqual(DEFAULT_RENDER[key], spec(`render.${key}`).default, `render.${key}`);
  }
  // Every engine setting in the table is a core option, and the other way round.
  assert.deepEqual(
    SETTING_NAMES.filter((n) => n.startsWith('segment.') || n.startsWith('render.')).sort(),
    [...SEGMENT_KEYS.map((k) => `segment.${k}`), ...RENDER_KEYS.map((k) => `render.${k}`)].sort(),
  );
  // At a bound the value itself is accepted (the frame may still leave no room for text: that is another check);
  // one past it is rejected naming the option.
  const complaint = (name: string, run: () => unknown): string | undefined => {
    try {
      run();
      return undefined;
    } catch (e) {
      assert.ok(e instanceof OptionError, `${name}: ${String(e)}`);
      return e.message.startsWith(`${name.split('.')[1]} must`) ? e.message : undefined;
    }
  };
  for (const name of SETTING_NAMES) {
    const [group, key] = name.split('.');
    const s = spec(name);
    if ((group !== 'segment' && group !== 'render') || s.type !== 'integer') {
      continue;
    }
    const at = (value: number) => () => resolveOptions(group === 'segment' ? { segment: { [key]: value } } : { render: { [key]: value } });
    const values = s.enum ? (s.enum as number[]) : [s.minimum!, s.maximum!];
    for (const value of values) {
      assert.equal(complaint(name, at(value)), undefined, `${name} = ${value} is accepted`);
    }
    const outside = s.enum
      ? [Math.min(...(s.enum as number[])) - 1, Math.max(...(s.enum as number[])) + 1, 6]
      : [s.minimum! - 1, s.maximum! + 1];
    for (const value of outside) {
      assert.ok(complaint(name, at(value)), `${name} = ${value} is rejected`);
    }
  }
  for (const [name, bad] of [
    ['segment.mode', 'pages'],
    ['segment.countUnit', 'characters'],
    ['render.preset', 'paper'],
    ['render.align', 'justify'],
  ] as const) {
    const [group, key] = name.split('.');
    assert.throws(() => resolveOptions({ [group]: { [key]: bad } }), OptionError, `${name} = ${bad}`);
  }
});

test("the Frames view's panel settings have the table's defaults and bounds", () => {
  for (const key of Object.keys(DEFAULT_PANEL_SETTINGS) as PanelSettingKey[]) {
    const s = spec(key);
    assert.deepEqual(DEFAULT_PANEL_SETTINGS[key], s.default, `${key}: default`);
    const check = PANEL_SETTING_CHECKS[key];
    if (s.enum) {
      for (const value of s.enum) {
        assert.ok(check(value), `${key} accepts ${value}`);
      }
      assert.ok(!check('not-a-value'), `${key} rejects an unknown value`);
    } else {
      assert.ok(check(s.minimum) && check(s.maximum), `${key} accepts ${s.minimum} and ${s.maximum}`);
      assert.ok(!check(s.minimum! - 1) && !check(s.maximum! + 1), `${key} rejects ${s.minimum! - 1} and ${s.maximum! + 1}`);
    }
  }
});

test('every CLI flag in the table is a flag of its command, and the help prints the table default', () => {
  const flags = (args: object): string[] => Object.keys(args).map((k) => `--${k}`);
  for (const name of SETTING_NAMES) {
    const s = spec(name);
    if (!s.flag) {
      continue;
    }
    if (name.startsWith('segment.') || name.startsWith('render.')) {
      assert.ok(flags(ENGINE_ARGS).includes(s.flag), `${name}: ${s.flag} is an engine flag`);
    }
    if (name.startsWith('qa.')) {
      assert.ok(flags(QA_ARGS).includes(s.flag), `${name}: ${s.flag} is a t2vid qa flag`);
      assert.ok(QA_HELP.includes(s.flag), `t2vid qa --help mentions ${s.flag}`);
    } else {
      assert.ok(flags(SYNTH_ARGS).includes(s.flag), `${name}: ${s.flag} is a t2vid synth flag`);
      assert.ok(HELP.includes(s.flag.split(' ')[0]), `t2vid --help mentions ${s.flag}`);
    }
    assert.ok(properties.get(settingKey(name))!.markdownDescription!.includes(`\`${s.flag}`), `${name}: its description names ${s.flag}`);
  }
  for (const [name, text] of [
    ['segment.wordsPerFrame', HELP],
    ['segment.countUnit', HELP],
    ['render.preset', HELP],
    ['render.fontSize', HELP],
    ['render.fontFamily', HELP],
    ['qa.perDoc', QA_HELP],
    ['qa.timeoutMs', QA_HELP],
  ] as const) {
    assert.ok(
      text.includes(`default ${spec(name).default}`) || text.includes(`default "${spec(name).default}"`),
      `help gives ${name}'s default`,
    );
  }
});

/** The extensions a `resourceExtname =~ /^\.(a|b)$/i` clause matches, or undefined if it has none. */
function extensionsOf(when: string | undefined): string[] | undefined {
  const m = /resourceExtname =~ \/\^\\\.\(([a-z|]+)\)\$\/i/.exec(when ?? '');
  return m
    ? m[1]
        .split('|')
        .map((e) => `.${e}`)
        .sort()
    : undefined;
}

test('the when-clauses list exactly the shared file types, and test nothing that only activation sets', () => {
  const { menus } = manifest.contributes;
  const item = (menu: string, command: string): MenuItem => {
    const found = menus[menu]?.find((i) => i.command === command);
    assert.ok(found, `${menu} has ${command}`);
    return found;
  };
  const sorted = (...lists: ReadonlyArray<readonly string[]>): string[] => lists.flat().sort();
  assert.deepEqual(extensionsOf(item('editor/title', 't2vid.showFrames').when), sorted(TEXT_EXTENSIONS, JSONL_EXTENSIONS));
  assert.deepEqual(extensionsOf(item('editor/title', 't2vid.openCurationEditor').when), sorted(JSONL_EXTENSIONS));
  assert.deepEqual(extensionsOf(item('explorer/context', 't2vid.openCurationEditor').when), sorted(JSONL_EXTENSIONS));
  assert.deepEqual(extensionsOf(item('explorer/context', 't2vid.generateQAForDataset').when), sorted(SUPPORTED_EXTENSIONS));
  assert.deepEqual(
    extensionsOf(item('explorer/context', 't2vid.showInstructionDiversity').when),
    sorted(JSON_EXTENSIONS, JSONL_EXTENSIONS, PARQUET_EXTENSIONS),
  );
  assert.deepEqual(sorted(SUPPORTED_EXTENSIONS), sorted(TEXT_EXTENSIONS, JSONL_EXTENSIONS, JSON_EXTENSIONS, PARQUET_EXTENSIONS));
  // Commands on the active text editor: the types that open as text (a .parquet file has no text editor).
  for (const command of ['t2vid.synthesizeActiveDocument', 't2vid.generateQAForActiveDocument']) {
    assert.deepEqual(
      extensionsOf(item('commandPalette', command).when),
      sorted(TEXT_EXTENSIONS, JSONL_EXTENSIONS, JSON_EXTENSIONS),
      command,
    );
  }
  assert.equal(item('commandPalette', 't2vid.exportPreviewFrames').when, 't2vid.hasFrames');
  for (const [menu, items] of Object.entries(menus)) {
    for (const i of items) {
      const when = i.when ?? '';
      // editorIsOpen is true for any editor (webviews included); `in t2vid.*` lists exist only after activation.
      assert.ok(!/editorIsOpen|\bin t2vid\./.test(when), `${menu} ${i.command}: ${when}`);
      for (const key of when.match(/\bt2vid\.[A-Za-z.]+/g) ?? []) {
        assert.ok(
          ['t2vid.hasFrames', 't2vid.frames', 't2vid.curation', 't2vid.runs'].includes(key.replace(/\\$/, '')),
          `${menu} ${i.command}: context key ${key}`,
        );
      }
    }
  }
  for (const i of menus['explorer/context']) {
    assert.match(i.group ?? '', /^3_t2vid@\d+$/, `${i.command}: below the navigation group`);
  }
  assert.deepEqual(
    menus['view/title'].map((i) => [i.command, /view == (t2vid\.frames|t2vid\.runs)\b/.exec(i.when ?? '')?.[1]]),
    [
      ['t2vid.exportPreviewFrames', 't2vid.frames'],
      ['t2vid.openSettings', 't2vid.frames'],
      ['t2vid.fineTune', 't2vid.runs'],
      ['t2vid.evaluate', 't2vid.runs'],
      ['t2vid.runs.refresh', 't2vid.runs'],
    ],
  );
});

test('commands: one category, an ellipsis on those that ask for input, every one registered and every menu item contributed', () => {
  const { commands, menus } = manifest.contributes;
  assert.deepEqual([...new Set(commands.map((c) => c.category))], ['T2Vid']);
  const title = (id: string): string => commands.find((c) => c.command === id)!.title;
  assert.equal(title('t2vid.setApiKey'), 'Set API Key…');
  assert.equal(title('t2vid.generateQAForDataset'), 'Generate Q&A for Dataset…');
  const contributed = new Set(commands.map((c) => c.command));
  for (const [menu, items] of Object.entries(menus)) {
    for (const i of items) {
      assert.ok(contributed.has(i.command), `${menu}: ${i.command} is contributed`);
      if (menu === 'view/title' || menu === 'editor/title') {
        assert.ok(commands.find((c) => c.command === i.command)!.icon, `${i.command} has an icon for ${menu}`);
      }
    }
  }
  const source = fs.readFileSync(path.join(repoRoot(), 'src', 'extension', 'extension.ts'), 'utf8');
  for (const id of contributed) {
    const registered = source.includes(`'${id}'`) || (id.startsWith('t2vid.curation.') && source.includes('`t2vid.curation.${command}`'));
    assert.ok(registered, `${id} is registered in activate()`);
  }
});

test('the extension icon is a committed 128×128 PNG; no placeholder repository', () => {
  assert.equal(manifest.icon, 'media/t2vid.png');
  const png = fs.readFileSync(path.join(repoRoot(), manifest.icon));
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  assert.ok(!manifest.repository || !/example\.invalid/.test(manifest.repository.url));
});

test('the t2vid task definition: its enums are the shared task vocabulary', () => {
  const raw = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as {
    contributes: {
      taskDefinitions: Array<{
        type: string;
        required: string[];
        properties: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }> }>;
      }>;
    };
  };
  const def = raw.contributes.taskDefinitions.find((d) => d.type === TASK_TYPE);
  assert.ok(def, 'a task definition of type t2vid');
  assert.deepEqual(def.properties.kind!.enum, [...TASK_KINDS]);
  assert.deepEqual(def.properties.framework!.enum, [...TASK_FRAMEWORKS]);
  assert.deepEqual(def.properties.target!.enum, [...TASK_TARGETS]);
  assert.deepEqual(def.properties.ssh!.properties!.sync!.enum, [...DATA_SYNC_MODES]);
  assert.deepEqual(def.properties.slurm!.properties!.via!.enum, [...SLURM_SUBMIT_VIA]);
  assert.deepEqual(def.properties.slurm!.properties!.launcher!.enum, [...SLURM_LAUNCHERS]);
  assert.deepEqual(def.properties.evaluate!.properties!.framework!.enum, [...TASK_FRAMEWORKS]);
  assert.deepEqual(Object.keys(def.properties.evaluate!.properties!), [...SWEEP_EVALUATION_FIELDS]);
});
