/**
 * The `messages` + `images` (or `videos`) shape LLaMA-Factory's sharegpt format and ms-swift share: one `<image>`
 * per entry of `images`, in order, before the question; for the Qwen-VL family the frames can go as one video,
 * `<video>` + `"videos": [[frame, …]]` (LLaMA-Factory src/llamafactory/data/mm_plugin.py; ms-swift: only the
 * Qwen-VL / Omni family reads frame lists as a video, FORMATS.md 2026-11-28 corrections).
 */
import type { ModelProfile, VisualInput } from '../../shared/profiles';
import type { TrainingSample } from '../assemble/trainingSet';
import { countMatches, isObject, readTurns, roleContentTurns, type Inspected } from './format';

/** Frames go as one video only to Qwen2-VL / Qwen2.5-VL (temporal pairing); every other profile gets images. */
export function messagesVisualInput(profile: ModelProfile): VisualInput {
  return profile.id === 'qwen2-vl' ? 'video' : 'images';
}

export function messagesEntry(sample: TrainingSample, frames: string[], profile: ModelProfile): unknown {
  if (messagesVisualInput(profile) === 'video') {
    return { messages: roleContentTurns(sample, frames.length ? '<video>' : ''), videos: frames.length ? [frames] : [] };
  }
  return { messages: roleContentTurns(sample, '<image>'.repeat(frames.length)), images: frames };
}

const TOKENS = /<(?:image|video)>/g;

export function inspectMessages(record: unknown): Inspected | string {
  if (!isObject(record)) {
    return 'an entry must be a JSON object';
  }
  const turns = readTurns(record.messages, 'role', 'content', TOKENS);
  if (typeof turns === 'string') {
    return turns;
  }
  const images = record.images ?? record.image;
  const videos = record.videos ?? record.video;
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const imageList = list(images);
  const videoList = list(videos);
  if (!imageList.every((p) => typeof p === 'string')) {
    return '"images" must be a list of paths';
  }
  const frames: string[] = [...(imageList as string[])];
  for (const v of videoList) {
    const paths = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
    if (!paths || !paths.every((p) => typeof p === 'string')) {
      return '"videos" must be a list of video paths or frame lists';
    }
    frames.push(...(paths as string[]));
  }
  const text = (record.messages as Array<{ content: string }>).map((m) => m.content).join('\n');
  return {
    images: frames,
    placeholders: countMatches(text, /<image>/g) + countMatches(text, /<video>/g),
    expectedPlaceholders: imageList.length + videoList.length,
    roles: turns.roles,
    texts: turns.texts,
    visualInput: videoList.length ? 'video' : 'images',
  };
}
