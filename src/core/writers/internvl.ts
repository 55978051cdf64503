/**
 * InternVL chat fine-tune (OpenGVLab/InternVL 2410d1d, internvl_chat/internvl/train/internvl_chat_finetune.py,
 * internvl_chat/shell/data/internvl_1_2_finetune_custom.json): JSONL (the loader asserts `.jsonl`), numeric `id`,
 * `image` list, `Frame-N: <image>\n` per frame (what the trainer itself writes for video items) before the question,
 * `conversations` from human/gpt; image paths are joined to the meta `root`. The meta JSON (`--meta_path`) names the
 * export folder as `root` and sets `max_dynamic_patch: 1`, so each frame is one 448 tile = 256 tokens (an image list
 * would otherwise get up to max_dynamic_patch // n tiles per image plus a thumbnail).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../util/fsutil';
import { countMatches, fromValueTurns, isObject, readTurns, type FormatSpec } from './format';

export const INTERNVL_DATASET = 't2vid_synth';
export const INTERNVL_META = 'internvl-meta.json';

const FRAME_TAG = /(?:(?:Frame|Image)-?\d+: ?)?<image>\n?/g;

export const INTERNVL: FormatSpec = {
  format: 'internvl',
  layout: 'jsonl',
  fileName: 'internvl.jsonl',
  defaultProfile: 'internvl2.5',
  defaultPaths: 'relative',
  relativeTo: `the meta JSON's root (${INTERNVL_META}; root = the export folder)`,
  visualInput: () => 'images',
  entry: (sample, frames, ctx) => ({
    id: ctx.index,
    image: frames,
    conversations: fromValueTurns(sample, frames.map((_, i) => `Frame-${i + 1}: <image>\n`).join('')),
  }),
  inspect(record) {
    if (!isObject(record)) {
      return 'an entry must be a JSON object';
    }
    const turns = readTurns(record.conversations, 'from', 'value', FRAME_TAG);
    if (typeof turns === 'string') {
      return turns;
    }
    const text = (record.conversations as Array<{ value: string }>).map((m) => m.value).join('\n');
    const id = typeof record.id === 'string' || typeof record.id === 'number' ? record.id : undefined;
    if (record.video !== undefined) {
      // A video item: one <video> in the text; the trainer samples the frames and writes Frame-N: <image> itself.
      if (typeof record.video !== 'string') {
        return '"video" must be a path';
      }
      const base = { id, images: [record.video], placeholders: countMatches(text, /<video>/g), expectedPlaceholders: 1 };
      return { ...base, roles: turns.roles, texts: turns.texts.map((t) => t.replace(/<video>\n?/g, '')), visualInput: 'video' };
    }
    const images = record.image === undefined ? [] : Array.isArray(record.image) ? record.image : [record.image];
    if (!images.every((p) => typeof p === 'string')) {
      return '"image" must be a path or a list of paths';
    }
    return {
      id,
      images: images as string[],
      placeholders: countMatches(text, /<image>/g),
      expectedPlaceholders: images.length,
      roles: turns.roles,
      texts: turns.texts,
      visualInput: 'images',
    };
  },
  async sideFiles({ out, file, samples }) {
    const meta = path.join(out, INTERNVL_META);
    const entry = {
      root: path.resolve(out),
      annotation: path.resolve(file),
      data_augment: false,
      max_dynamic_patch: 1,
      repeat_time: 1,
      length: samples,
    };
    await writeFileAtomic(meta, JSON.stringify({ [INTERNVL_DATASET]: entry }, null, 2) + '\n');
    return [meta];
  },
};
