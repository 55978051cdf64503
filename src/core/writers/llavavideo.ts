/**
 * LLaVA-Video / LLaVA-NeXT (LLaVA-VL/LLaVA-NeXT df17966, llava/train/train.py LazySupervisedDataset._get_item,
 * preprocess_multimodal): a JSON array, frames as an `image` list with one `<image>\n` per image before the question
 * (each image padded, no anyres; not pooled: 729 + 1 tokens each), `conversations` from human/gpt. Paths are joined
 * to `--image_folder`: written relative to the export folder, which is the folder to pass.
 */
import { countMatches, fromValueTurns, isObject, readTurns, type FormatSpec } from './format';

export const LLAVA_VIDEO: FormatSpec = {
  format: 'llava-video',
  layout: 'json',
  fileName: 'llava-video.json',
  defaultProfile: 'llava-video',
  defaultPaths: 'relative',
  relativeTo: '--image_folder: pass the export folder',
  visualInput: () => 'images',
  entry: (sample, frames) => ({ id: sample.id, image: frames, conversations: fromValueTurns(sample, '<image>\n'.repeat(frames.length)) }),
  inspect(record) {
    if (!isObject(record)) {
      return 'an entry must be a JSON object';
    }
    const turns = readTurns(record.conversations, 'from', 'value', /<image>\n?/g);
    if (typeof turns === 'string') {
      return turns;
    }
    const text = (record.conversations as Array<{ value: string }>).map((m) => m.value).join('\n');
    const id = typeof record.id === 'string' || typeof record.id === 'number' ? record.id : undefined;
    if (record.video !== undefined) {
      // A real video: one <image> token for the whole clip (decord reads the file).
      if (typeof record.video !== 'string') {
        return '"video" must be a path';
      }
      const base = { id, images: [record.video], placeholders: countMatches(text, /<image>/g), expectedPlaceholders: 1 };
      return { ...base, roles: turns.roles, texts: turns.texts, visualInput: 'video' };
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
};
