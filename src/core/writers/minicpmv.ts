/**
 * MiniCPM-V multi-image JSON, the format T2Vid trains with. Source: xjtupanda/T2Vid (e4d5ea2)
 * utils/preprocess/reformat_json.py and minicpm-filter.py, MiniCPM-V/finetune/dataset.py:
 * a JSON array (finetune.py uses json.load); `image` maps `<image_NN>` to a path in frame order;
 * the first user turn is each placeholder plus "\n", in frame order, then the question.
 */
import type { QAPair } from '../model';

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
  const image: Record<string, string> = {};
  framePaths.forEach((p, i) => (image[placeholder(i)] = p));
  const prefix = framePaths.map((_, i) => `${placeholder(i)}\n`).join('');
  return qa.map((pair, k) => ({
    id: qa.length > 1 ? `${sampleId}-q${String(k + 1).padStart(2, '0')}` : sampleId,
    image,
    conversations: [
      { role: 'user', content: prefix + pair.question },
      { role: 'assistant', content: pair.answer },
    ],
  }));
}
