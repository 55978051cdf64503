/**
 * ms-swift custom dataset (modelscope/ms-swift 3602360, docs/source_en/Customization/Custom-dataset.md, Multimodal):
 * JSONL, one sample a line, `messages` + `images` with one `<image>` per frame (the route for T2Vid's backbones:
 * model types `minicpmv2_5` and `idefics3`), or `<video>` + `videos: [[frames]]` for Qwen2-VL / Qwen2.5-VL.
 * The docs prefer absolute paths: the default.
 */
import { inspectMessages, messagesEntry, messagesVisualInput } from './messages';
import type { FormatSpec } from './format';

export const MS_SWIFT: FormatSpec = {
  format: 'ms-swift',
  layout: 'jsonl',
  fileName: 'ms-swift.jsonl',
  defaultProfile: 'minicpm-v-2.5',
  defaultPaths: 'absolute',
  relativeTo: 'the working directory of swift sft: run it from the export folder',
  visualInput: messagesVisualInput,
  entry: (sample, frames, ctx) => messagesEntry(sample, frames, ctx.profile),
  inspect: inspectMessages,
};
