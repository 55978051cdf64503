/**
 * LLaMA-Factory sharegpt multimodal (hiyouga/LLaMA-Factory ff6d4d1, data/README.md, data/dataset_info.json
 * `mllm_demo` / `mllm_video_demo`): a JSON array of `messages` + `images` (or `videos` as one frame list for
 * Qwen2-VL / Qwen2.5-VL, template `qwen2_vl`), plus the dataset's entry in `dataset_info.json` (merged into one that
 * is already there). Relative paths resolve against `media_dir` (default `dataset_dir`): the export folder is the
 * `dataset_dir`, so paths are written relative to it. LLaMA-Factory has no MiniCPM-Llama3-V 2.5 or Idefics3 template.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/fsutil';
import { inspectMessages, messagesEntry, messagesVisualInput } from './messages';
import { isObject, type FormatSpec } from './format';

export const LLAMAFACTORY_DATASET = 't2vid_synth';

export const LLAMAFACTORY: FormatSpec = {
  format: 'llamafactory',
  layout: 'json',
  fileName: `${LLAMAFACTORY_DATASET}.json`,
  defaultProfile: 'qwen2-vl',
  defaultPaths: 'relative',
  relativeTo: 'media_dir, by default dataset_dir: set dataset_dir to the export folder',
  visualInput: messagesVisualInput,
  entry: (sample, frames, ctx) => messagesEntry(sample, frames, ctx.profile),
  inspect: inspectMessages,
  async sideFiles({ out, file, profile }) {
    const infoFile = path.join(out, 'dataset_info.json');
    let info: Record<string, unknown> = {};
    if (fs.existsSync(infoFile)) {
      try {
        const parsed: unknown = JSON.parse(await fs.promises.readFile(infoFile, 'utf8'));
        if (isObject(parsed)) {
          info = parsed;
        }
      } catch (e) {
        throw new Error(`${infoFile}: ${(e as Error).message}: fix or remove it, the export adds its entry to it`);
      }
    }
    const media = messagesVisualInput(profile) === 'video' ? 'videos' : 'images';
    info[LLAMAFACTORY_DATASET] = {
      file_name: path.basename(file),
      formatting: 'sharegpt',
      columns: { messages: 'messages', [media]: media },
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' },
    };
    await writeFileAtomic(infoFile, JSON.stringify(info, null, 2) + '\n');
    return [infoFile];
  },
  notice: (profile) =>
    profile.id === 'minicpm-v-2.5' || profile.id === 'idefics3'
      ? `LLaMA-Factory has no template for ${profile.label}: it cannot train T2Vid's backbones (export --format ms-swift for them)`
      : undefined,
};
