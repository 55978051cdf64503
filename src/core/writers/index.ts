/** The exporters, one module per framework, by `--format` name. */
import type { ExportFormat } from '../../shared/profiles';
import type { FormatSpec } from './format';
import { IDEFICS3 } from './idefics3';
import { INTERNVL } from './internvl';
import { LLAMAFACTORY } from './llamafactory';
import { LLAVA_VIDEO } from './llavavideo';
import { MINICPM_V } from './minicpmv';
import { MS_SWIFT } from './msswift';

export const FORMAT_SPECS: Record<ExportFormat, FormatSpec> = {
  'minicpm-v': MINICPM_V,
  idefics3: IDEFICS3,
  'ms-swift': MS_SWIFT,
  llamafactory: LLAMAFACTORY,
  'llava-video': LLAVA_VIDEO,
  internvl: INTERNVL,
};

/** The format a dataset file was exported in, from its name (undefined: unknown, pass --format). */
export function formatOfFile(file: string): FormatSpec | undefined {
  const base = file.replace(/^.*[\\/]/, '');
  return Object.values(FORMAT_SPECS).find((s) => s.fileName === base);
}
