/**
 * The diversity map: a 2-D projection of up to 10,000 sampled instructions, coloured by dataset (the picture the T2Vid
 * paper draws with t-SNE). UMAP through `umap-js` (the maintained JS implementation of McInnes et al.; fast enough for
 * 10K points on 2 cores, where the JS t-SNE packages are unmaintained and O(n²)), over the SIF word-vector embeddings
 * of core/diversity/embeddings.ts, cosine distance. Deterministic for a seed: the sample, UMAP's random choices
 * (its `random` option fed by the seeded mulberry32 of text.ts) and the epoch count are fixed.
 */
import { UMAP } from 'umap-js';
import type { Instruction } from './instructions';
import { loadWordVectors, sifEmbeddings } from './embeddings';
import { sampleIndices, seededRandom, words } from './text';

/** Points a map shows at most (all datasets together). */
export const MAP_MAX_POINTS = 10_000;
/** Characters of an instruction kept with its point (the hover shows them). */
export const MAP_TEXT_CHARS = 1_000;
/** UMAP's parameters (umap-learn's defaults, cosine distance) and the epochs it runs for. */
export const MAP_NEIGHBOURS = 15;
export const MAP_MIN_DIST = 0.1;
export const MAP_EPOCHS = 120;

/** One instruction on the map, and where it came from. */
export interface MapPoint {
  /** Index of its dataset in `DiversityMap.datasets`. */
  dataset: number;
  file: string;
  /** 1-based line (JSON/JSONL) or row (Parquet; `unit: 'row'`). */
  line: number;
  unit: 'line' | 'row';
  text: string;
  x: number;
  y: number;
}

export interface DiversityMap {
  method: 'umap';
  seed: number;
  datasets: string[];
  points: MapPoint[];
  /** Per dataset: instructions given, sampled, and left out for having no known word (no embedding). */
  counts: Array<{ given: number; sampled: number; noEmbedding: number }>;
  definition: string;
}

export interface MapOptions {
  seed?: number;
  /** At most this many points in all (default and ceiling MAP_MAX_POINTS). */
  maxPoints?: number;
  signal?: AbortSignal;
  /** Hears the share of the projection done, 0..1. */
  onProgress?: (done: number) => void;
}

/**
 * How many of each set to sample for `budget` points: an equal share each, what a small set leaves unused going to
 * the larger ones (water-filling), so two sets of 50K and 300 give 9,700 and 300 of 10K.
 */
export function mapQuotas(sizes: readonly number[], budget: number): number[] {
  const quotas = sizes.map(() => 0);
  let open = sizes.map((_, i) => i).filter((i) => sizes[i]! > 0);
  let left = budget;
  while (open.length && left > 0) {
    const share = Math.max(1, Math.floor(left / open.length));
    const next: number[] = [];
    for (const i of open) {
      const take = Math.min(share, sizes[i]! - quotas[i]!, left);
      quotas[i]! += take;
      left -= take;
      if (quotas[i]! < sizes[i]!) {
        next.push(i);
      }
    }
    open = next;
  }
  return quotas;
}

/** The map of several labelled instruction sets. */
export async function diversityMap(
  sets: ReadonlyArray<{ label: string; instructions: readonly Instruction[] }>,
  options: MapOptions = {},
): Promise<DiversityMap> {
  const seed = options.seed ?? 1;
  const budget = Math.min(options.maxPoints ?? MAP_MAX_POINTS, MAP_MAX_POINTS);
  const quotas = mapQuotas(
    sets.map((s) => s.instructions.length),
    budget,
  );
  const wv = loadWordVectors();
  const chosen: Array<{ dataset: number; instruction: Instruction }> = [];
  const vectors: number[][] = [];
  const counts: DiversityMap['counts'] = [];
  sets.forEach((set, dataset) => {
    // Each set's sample has its own stream, so adding a dataset does not change another's sample.
    const picked = sampleIndices(set.instructions.length, quotas[dataset]!, seededRandom(seed + dataset * 7919));
    const instructions = picked.map((i) => set.instructions[i]!);
    const embedded = sifEmbeddings(
      instructions.map((i) => words(i.text)),
      wv,
    );
    let noEmbedding = 0;
    instructions.forEach((instruction, i) => {
      if (!embedded.present[i]) {
        noEmbedding++;
        return;
      }
      chosen.push({ dataset, instruction });
      vectors.push(Array.from(embedded.rows.subarray(i * embedded.dimensions, (i + 1) * embedded.dimensions)));
    });
    counts.push({ given: set.instructions.length, sampled: instructions.length, noEmbedding });
  });
  const xy = await project(vectors, seed, options);
  return {
    method: 'umap',
    seed,
    datasets: sets.map((s) => s.label),
    points: chosen.map(({ dataset, instruction }, i) => ({
      dataset,
      file: instruction.source.file,
      line: instruction.source.line,
      unit: instruction.source.unit === 'row' ? 'row' : 'line',
      text: instruction.text.length > MAP_TEXT_CHARS ? `${instruction.text.slice(0, MAP_TEXT_CHARS)}…` : instruction.text,
      x: xy[i]![0]!,
      y: xy[i]![1]!,
    })),
    counts,
    definition:
      `UMAP (umap-js; ${MAP_NEIGHBOURS} neighbours, min_dist ${MAP_MIN_DIST}, cosine, ${MAP_EPOCHS} epochs, seed ${seed}) of the ` +
      `SIF word-vector embeddings of up to ${budget} instructions sampled with the seed (equal shares per dataset); ` +
      'instructions with no known word have no embedding and are left out',
  };
}

/** UMAP of the rows to 2-D, giving the event loop a turn every few epochs (cancel, progress). */
async function project(vectors: number[][], seed: number, options: MapOptions): Promise<number[][]> {
  const n = vectors.length;
  if (n === 0) {
    return [];
  }
  if (n <= 2) {
    // UMAP needs neighbours: one point sits at the origin, two on a line.
    return vectors.map((_, i) => [i, 0]);
  }
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(MAP_NEIGHBOURS, n - 1),
    minDist: MAP_MIN_DIST,
    nEpochs: MAP_EPOCHS,
    distanceFn: cosineDistance,
    random: seededRandom(seed),
  });
  const epochs = umap.initializeFit(vectors);
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch % 20 === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      options.onProgress?.(epoch / epochs);
    }
    umap.step();
  }
  options.onProgress?.(1);
  return umap.getEmbedding();
}

/** 1 − cos of two L2-normalised rows. */
function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
  }
  return 1 - dot;
}
