/**
 * Idefics3 (T2Vid's Idefics3/finetune): the same JSON array as MiniCPM-V (`image` dict + `conversations`
 * role/content). Source: xjtupanda/T2Vid (e4d5ea2) Idefics3/finetune/dataset.py (strips the `<image_NN>` tags and
 * puts one image per frame, dict order, before the first user text; paths `Image.open`ed as written),
 * Idefics3/finetune/finetune.py (`do_image_splitting=False`), utils/preprocess/idefics-filter.py.
 */
import { inspectImageDict, MINICPM_V } from './minicpmv';
import type { FormatSpec } from './format';

export const IDEFICS3: FormatSpec = {
  ...MINICPM_V,
  format: 'idefics3',
  fileName: 'idefics3.json',
  defaultProfile: 'idefics3',
  relativeTo: "the trainer's working directory (finetune_ds.sh runs from Idefics3/finetune): run it from the export folder",
  inspect: inspectImageDict,
};
