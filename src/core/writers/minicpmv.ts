/**
 * MiniCPM-V multi-image JSON, the format T2Vid trains with. Source: xjtupanda/T2Vid (e4d5ea2)
 * utils/preprocess/reformat_json.py and minicpm-filter.py, MiniCPM-V/finetune/dataset.py:
 * a JSON array (finetune.py uses json.load); `image` maps `<image_NN>` to a path in frame order;
 * the first user turn is each placeholder plus "\n", in frame order, then the question.
 * The loader `Image.open`s each path as written, i.e. relative to the trainer's working directory (finetune_ds.sh
 * runs from MiniCPM-V/finetune): exports write absolute paths unless asked otherwise.
 */
import type { QAPair } from '../model';
import type { TrainingSample } from '../assemble/trainingSet';
import { countMatches, isObject, readTurns, roleContentTurns, type FormatSpec, type Inspected } from './format';

export interface MiniCpmVEntry {
  id: string;
  image: Record<string, string>;
  conversations: Array<{ role: 'user' | 'assistant'; content: string }>;
}

/** `<image_00>` … `<image_99>`, then `<image_100>` (Python's f"{idx:02d}"). */
export function placeholder(index: number): string {
  return `<image_${String(index).padStart(2, '0')}>`;
}

/** One entry per QA pair; ids get `-qNN` when a sample has several pairs (L-Eval). */
export function miniCpmVEntries(sampleId: string, framePaths: string[], qa: QAPair[]): MiniCpmVEntry[] {
  return qa.map((pair, k) =>
    miniCpmVEntry(qa.length > 1 ? `${sampleId}-q${String(k + 1).padStart(2, '0')}` : sampleId, framePaths, [
      { role: 'user', content: pair.question },
      { role: 'assistant', content: pair.answer },
    ]),
  );
}

function miniCpmVEntry(id: string, framePaths: string[], turns: TrainingSample['turns']): MiniCpmVEntry {
  const image: Record<string, string> = {};
  framePaths.forEach((p, i) => (image[placeholder(i)] = p));
  const prefix = framePaths.map((_, i) => `${placeholder(i)}\n`).join('');
  return { id, image, conversations: roleContentTurns({ turns } as TrainingSample, prefix) };
}

const PLACEHOLDER = /<image_\d{2,}>\n?/g;

/** The `image` dict + `conversations` role/content shape MiniCPM-V and Idefics3 share. */
export function inspectImageDict(record: unknown): Inspected | string {
  if (!isObject(record)) {
    return 'an entry must be a JSON object';
  }
  if (!isObject(record.image)) {
    return '"image" must be an object mapping <image_NN> to a path';
  }
  const keys = Object.keys(record.image);
  const images = Object.values(record.image);
  if (!images.every((p) => typeof p === 'string')) {
    return '"image" values must be paths';
  }
  const turns = readTurns(record.conversations, 'role', 'content', PLACEHOLDER);
  if (typeof turns === 'string') {
    return turns;
  }
  // dataset.py substitutes each <image_NN> the dict names: a placeholder must name a key of the dict.
  const text = (record.conversations as Array<{ content: string }>).map((m) => m.content).join('\n');
  const named = text.match(/<image_\d{2,}>/g) ?? [];
  const unknown = named.find((p) => !keys.includes(p));
  if (unknown) {
    return `${unknown} is not a key of "image"`;
  }
  return {
    id: typeof record.id === 'string' || typeof record.id === 'number' ? record.id : undefined,
    images: images as string[],
    placeholders: countMatches(text, /<image_\d{2,}>/g),
    expectedPlaceholders: images.length,
    roles: turns.roles,
    texts: turns.texts,
    visualInput: 'images',
  };
}

export const MINICPM_V: FormatSpec = {
  format: 'minicpm-v',
  layout: 'json',
  fileName: 'minicpm-v.json',
  defaultProfile: 'minicpm-v-2.5',
  defaultPaths: 'absolute',
  relativeTo: "the trainer's working directory (finetune_ds.sh runs from MiniCPM-V/finetune): run it from the export folder",
  visualInput: () => 'images',
  entry: (sample, frames) => miniCpmVEntry(sample.id, frames, sample.turns),
  inspect: inspectImageDict,
};
