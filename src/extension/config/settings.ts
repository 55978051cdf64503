/** VS Code settings → core options. One name per setting: `t2vid.render.fontSize` ↔ `render.fontSize` ↔ `--font-size`. */
import * as vscode from 'vscode';
import type { FieldMapping } from '../../core/model';
import {
  OPTION_TABLE,
  RENDER_KEYS,
  resolveOptions,
  SEGMENT_KEYS,
  type EngineOptions,
  type RenderOptions,
  type SegmentOptions,
} from '../../core/options';
import { parseFieldMapping } from '../../core/readers/index';
import { DATASET_FORMATS, type DatasetFormat } from '../../core/synth';
import { openFontFile } from '../../core/fontCoverage';
import { isSetAnywhere } from '../../shared/settings';

/**
 * The settings of `keys` that have a value at some scope (user, workspace, folder, or a language override), as
 * `get` resolves them. Settings left unset are left out, so resolveOptions fills them from the preset
 * (`t2vid.render.preset`) and then the defaults: a setting the user set always wins over the preset, and one they
 * did not set never does (package.json's defaults equal the option table's, a unit test checks).
 */
function pick<T>(section: vscode.WorkspaceConfiguration, keys: ReadonlyArray<keyof T>): Partial<T> {
  const out: Partial<T> = {};
  for (const key of keys) {
    const value = isSetAnywhere(section.inspect(key as string)) ? section.get<T[typeof key]>(key as string) : undefined;
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  return out;
}

/** The engine options in force for a resource; throws OptionError naming the bad setting. */
export function engineOptions(scope?: vscode.ConfigurationScope): EngineOptions {
  const segment = pick<SegmentOptions>(vscode.workspace.getConfiguration('t2vid.segment', scope), SEGMENT_KEYS);
  const render = pick<RenderOptions>(vscode.workspace.getConfiguration('t2vid.render', scope), RENDER_KEYS);
  if (!vscode.workspace.isTrusted) {
    // Restricted Mode: never load a font file named by the workspace.
    render.fontFile = vscode.workspace.getConfiguration('t2vid.render', scope).inspect<string>('fontFile')?.globalValue ?? '';
  }
  try {
    const options = resolveOptions({ segment, render });
    if (options.render.fontFile) {
      openFontFile(options.render.fontFile, 't2vid.render.fontFile'); // not a font: the error names the setting and the file
    }
    return options;
  } catch (e) {
    throw new Error(`T2Vid settings: ${(e as Error).message}`);
  }
}

export function fieldMapping(scope?: vscode.ConfigurationScope): FieldMapping | undefined {
  const spec = vscode.workspace.getConfiguration('t2vid.input', scope).get<string>('fields', '').trim();
  return spec ? parseFieldMapping(spec) : undefined;
}

export function outputSettings(scope?: vscode.ConfigurationScope): { folder: string; format: DatasetFormat } {
  const section = vscode.workspace.getConfiguration('t2vid.output', scope);
  const folder = OPTION_TABLE['output.folder'].default;
  const format = section.get<DatasetFormat>('format', OPTION_TABLE['output.format'].default);
  return {
    folder: section.get<string>('folder', folder) || folder,
    format: DATASET_FORMATS.includes(format) ? format : OPTION_TABLE['output.format'].default,
  };
}
