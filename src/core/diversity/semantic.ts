/**
 * Semantic diversity from embeddings: Vendi score (Friedman & Dieng 2023), mean pairwise cosine distance and cluster
 * entropy (k-means++). Inputs are L2-normalised rows, so the cosine-similarity matrix is K = X·Xᵀ. Deterministic for
 * a seed.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { DiversityMetricId, MetricValue } from '../../shared/diversity';
import { sifEmbeddings, tfidfVectors, type EmbeddingSet, type SparseSet } from './embeddings';
import { sampleIndices, seededRandom } from './text';

/**
 * Order-q Vendi score of eigenvalues λ (summing to 1): exp(−Σ λ ln λ) for q = 1, (Σ λ^q)^(1/(1−q)) otherwise,
 * 1/max λ for q = ∞; eigenvalues ≤ 1e-12 count as zero (rounding).
 */
export function vendiFromEigenvalues(eigenvalues: ArrayLike<number>, q = 1): number {
  const p = Array.from(eigenvalues).filter((x) => x > 1e-12);
  const sum = p.reduce((a, b) => a + b, 0);
  const norm = p.map((x) => x / sum);
  if (q === 1) {
    return Math.exp(-norm.reduce((h, x) => h + x * Math.log(x), 0));
  }
  if (q === Infinity) {
    return 1 / Math.max(...norm);
  }
  return Math.pow(
    norm.reduce((s, x) => s + Math.pow(x, q), 0),
    1 / (1 - q),
  );
}

/** Eigenvalues of a symmetric matrix given as a row-major Float64Array (Householder + QL, through ml-matrix). */
export function symmetricEigenvalues(matrix: Float64Array, size: number): number[] {
  const rows: number[][] = [];
  for (let i = 0; i < size; i++) {
    rows.push(Array.from(matrix.subarray(i * size, (i + 1) * size)));
  }
  return new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true }).realEigenvalues;
}

/** Xᵀ·X / n of the present dense rows (the d×d covariance whose non-zero eigenvalues are those of K/n). */
function denseCovariance(set: EmbeddingSet): { cov: Float64Array; n: number } {
  const d = set.dimensions;
  const cov = new Float64Array(d * d);
  let n = 0;
  for (let i = 0; i < set.count; i++) {
    if (!set.present[i]) {
      continue;
    }
    n++;
    const row = set.rows.subarray(i * d, (i + 1) * d);
    for (let a = 0; a < d; a++) {
      const x = row[a]!;
      if (x === 0) {
        continue;
      }
      const base = a * d;
      for (let b = a; b < d; b++) {
        cov[base + b]! += x * row[b]!;
      }
    }
  }
  return { cov: symmetrise(cov, d, n), n };
}

function sparseCovariance(set: SparseSet): { cov: Float64Array; n: number } {
  const d = set.dimensions;
  const cov = new Float64Array(d * d);
  let n = 0;
  for (let i = 0; i < set.count; i++) {
    if (!set.present[i]) {
      continue;
    }
    n++;
    const start = set.offsets[i]!;
    const end = set.offsets[i + 1]!;
    for (let p = start; p < end; p++) {
      const a = set.indices[p]!;
      const x = set.values[p]!;
      const base = a * d;
      // Indices are sorted within a row, so b ≥ a from p on.
      for (let r = p; r < end; r++) {
        cov[base + set.indices[r]!]! += x * set.values[r]!;
      }
    }
  }
  return { cov: symmetrise(cov, d, n), n };
}

function symmetrise(upper: Float64Array, d: number, n: number): Float64Array {
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = n ? upper[a * d + b]! / n : 0;
      upper[a * d + b] = v;
      upper[b * d + a] = v;
    }
  }
  return upper;
}

function vendiDefinition(kind: string, q: number, n: number, d: number): string {
  return (
    `Vendi score, order q = ${q} (${kind}): exp of the entropy of the eigenvalues of K/n, K the cosine-similarity matrix of ` +
    `${n} instructions, computed from the ${d}×${d} matrix XᵀX/n (same non-zero eigenvalues; Vendi-Score's score_dual); ` +
    '1 = all alike, n = all orthogonal'
  );
}

/** Vendi score of dense unit rows (rows without an embedding left out). */
export function vendiDense(set: EmbeddingSet, q = 1, kind = 'SIF word vectors'): MetricValue {
  const { cov, n } = denseCovariance(set);
  return {
    value: n ? vendiFromEigenvalues(symmetricEigenvalues(cov, set.dimensions), q) : null,
    sampleSize: n,
    definition: vendiDefinition(kind, q, n, set.dimensions),
  };
}

export function vendiSparse(set: SparseSet, q = 1, kind = 'TF-IDF'): MetricValue {
  const { cov, n } = sparseCovariance(set);
  return {
    value: n ? vendiFromEigenvalues(symmetricEigenvalues(cov, set.dimensions), q) : null,
    sampleSize: n,
    definition: vendiDefinition(kind, q, n, set.dimensions),
  };
}

function meanDistanceDefinition(kind: string, n: number): string {
  return (
    `mean cosine distance 1 − cos over all ${n}·(${n}−1)/2 pairs (${kind}), exact for every n: for unit vectors the mean ` +
    'similarity is (‖Σx‖² − n) ÷ (n(n−1))'
  );
}

/** Mean pairwise cosine distance of unit rows, exactly, through the sum of the rows. */
export function meanCosineDistanceDense(set: EmbeddingSet, kind = 'SIF word vectors'): MetricValue {
  const d = set.dimensions;
  const sum = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < set.count; i++) {
    if (set.present[i]) {
      n++;
      for (let k = 0; k < d; k++) {
        sum[k]! += set.rows[i * d + k]!;
      }
    }
  }
  return meanDistance(sum, n, kind);
}

export function meanCosineDistanceSparse(set: SparseSet, kind = 'TF-IDF'): MetricValue {
  const sum = new Float64Array(set.dimensions);
  let n = 0;
  for (let i = 0; i < set.count; i++) {
    if (set.present[i]) {
      n++;
      for (let p = set.offsets[i]!; p < set.offsets[i + 1]!; p++) {
        sum[set.indices[p]!]! += set.values[p]!;
      }
    }
  }
  return meanDistance(sum, n, kind);
}

function meanDistance(sum: Float64Array, n: number, kind: string): MetricValue {
  const squared = sum.reduce((s, x) => s + x * x, 0);
  return {
    value: n >= 2 ? 1 - (squared - n) / (n * (n - 1)) : null,
    sampleSize: n,
    definition: meanDistanceDefinition(kind, n),
  };
}

/** Most points k-means is fitted on (a seeded sample); every point is then assigned to its nearest centre. */
export const KMEANS_FIT_SAMPLE = 5000;
const KMEANS_ITERATIONS = 30;

/**
 * Cluster entropy: k-means++ (seeded) with k = min(50, ⌊√n⌋) on the unit rows, fitted on up to 5,000 sampled points
 * (at most 30 Lloyd iterations), every point assigned to its nearest centre; the entropy of the cluster sizes ÷ ln k
 * (1 = evenly spread over k clusters, 0 = one cluster). Fewer than 4 points: no value.
 */
export function clusterEntropy(set: EmbeddingSet, seed = 1, kind = 'SIF word vectors'): MetricValue & { k: number } {
  const d = set.dimensions;
  const points: number[] = [];
  for (let i = 0; i < set.count; i++) {
    if (set.present[i]) {
      points.push(i);
    }
  }
  const n = points.length;
  const k = Math.min(50, Math.floor(Math.sqrt(n)));
  const definition =
    `cluster entropy: k-means++ (seed ${seed}) with k = min(50, ⌊√n⌋) = ${k} on the ${kind}, fitted on up to ` +
    `${KMEANS_FIT_SAMPLE} sampled instructions, all ${n} assigned; entropy of the cluster sizes ÷ ln k`;
  if (k < 2) {
    return { value: null, sampleSize: n, definition, k };
  }
  const random = seededRandom(seed);
  const fit = sampleIndices(n, KMEANS_FIT_SAMPLE, random).map((i) => points[i]!);
  const rows = set.rows;
  // Centres in one flat array; distances from row offsets, no views made in the loops.
  const centres = new Float64Array(k * d);
  const dist2 = (i: number, c: number): number => {
    let s = 0;
    const ri = i * d;
    const ci = c * d;
    for (let t = 0; t < d; t++) {
      const x = rows[ri + t]! - centres[ci + t]!;
      s += x * x;
    }
    return s;
  };
  const setCentre = (c: number, i: number): void => {
    for (let t = 0; t < d; t++) {
      centres[c * d + t] = rows[i * d + t]!;
    }
  };
  // k-means++ seeding.
  setCentre(0, fit[Math.floor(random() * fit.length)]!);
  const nearest = Float64Array.from(fit, (i) => dist2(i, 0));
  for (let c = 1; c < k; c++) {
    const total = nearest.reduce((a, b) => a + b, 0);
    let pick = fit.length - 1;
    if (total > 0) {
      let r = random() * total;
      for (let j = 0; j < fit.length; j++) {
        r -= nearest[j]!;
        if (r < 0) {
          pick = j;
          break;
        }
      }
    } else {
      pick = Math.floor(random() * fit.length);
    }
    setCentre(c, fit[pick]!);
    fit.forEach((i, j) => (nearest[j] = Math.min(nearest[j]!, dist2(i, c))));
  }
  const assign = (i: number): number => {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < k; c++) {
      const dd = dist2(i, c);
      if (dd < bestDistance) {
        bestDistance = dd;
        best = c;
      }
    }
    return best;
  };
  // Lloyd iterations on the fit sample.
  const labels = new Int32Array(fit.length).fill(-1);
  for (let iteration = 0; iteration < KMEANS_ITERATIONS; iteration++) {
    let changed = 0;
    fit.forEach((i, j) => {
      const c = assign(i);
      if (c !== labels[j]) {
        labels[j] = c;
        changed++;
      }
    });
    if (changed === 0) {
      break;
    }
    const sums = new Float64Array(k * d);
    const counts = new Uint32Array(k);
    fit.forEach((i, j) => {
      const c = labels[j]!;
      counts[c]!++;
      for (let t = 0; t < d; t++) {
        sums[c * d + t]! += rows[i * d + t]!;
      }
    });
    for (let c = 0; c < k; c++) {
      if (counts[c]) {
        for (let t = 0; t < d; t++) {
          centres[c * d + t] = sums[c * d + t]! / counts[c]!;
        }
      }
    }
  }
  const sizes = new Uint32Array(k);
  for (const i of points) {
    sizes[assign(i)]!++;
  }
  let entropy = 0;
  for (const size of sizes) {
    if (size) {
      const p = size / n;
      entropy -= p * Math.log(p);
    }
  }
  return { value: entropy / Math.log(k), sampleSize: n, definition, k };
}

/** Most instructions the TF-IDF baseline is computed on (a seeded sample; said in its sample size). */
export const TFIDF_SAMPLE = 5000;

export interface SemanticOptions {
  seed?: number;
  /** Vendi order (default 1). */
  q?: number;
  /**
   * Embeddings to use instead of the built-in word vectors (one row per instruction, in order), e.g. from an
   * OpenAI-compatible endpoint, and what to call them in the definitions.
   */
  embeddings?: { set: EmbeddingSet; kind: string };
}

/** Every semantic metric of a tokenised set: word-vector Vendi, distance and cluster entropy; TF-IDF Vendi and distance. */
export function semanticMetrics(
  tokenised: readonly (readonly string[])[],
  options: SemanticOptions = {},
): Partial<Record<DiversityMetricId, MetricValue>> {
  const q = options.q ?? 1;
  if (options.embeddings && options.embeddings.set.count !== tokenised.length) {
    throw new RangeError(`${options.embeddings.set.count} embeddings for ${tokenised.length} instructions`);
  }
  const embedded = options.embeddings?.set ?? sifEmbeddings(tokenised);
  const kind = options.embeddings?.kind ?? 'SIF word vectors';
  // The TF-IDF baseline on a seeded sample: its 512×512 covariance costs (features per instruction)² per instruction.
  const sample = sampleIndices(tokenised.length, TFIDF_SAMPLE, seededRandom(options.seed ?? 1));
  const tfidf = tfidfVectors(sample.map((i) => tokenised[i]!));
  const { k: _k, ...clusters } = clusterEntropy(embedded, options.seed ?? 1, kind);
  const sampled =
    sample.length < tokenised.length
      ? `a seeded sample of ${sample.length} of ${tokenised.length} instructions`
      : `all ${tokenised.length} instructions`;
  return {
    vendi: vendiDense(embedded, q, kind),
    'mean-cosine-distance': meanCosineDistanceDense(embedded, kind),
    'cluster-entropy': clusters,
    'vendi-tfidf': vendiSparse(tfidf, q, `TF-IDF, ${sampled}`),
    'mean-cosine-distance-tfidf': meanCosineDistanceSparse(tfidf, `TF-IDF, ${sampled}`),
  };
}
