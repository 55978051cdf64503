/**
 * Diversity-aware selection (`t2vid select`): choose K instructions of a pool that add the most instruction diversity
 * to a given set (a video instruction set), over unit-length embeddings (rows without an embedding are never chosen).
 * Deterministic for a seed: every tie is broken by a seeded random rank.
 *
 * - `vendi`: greedy gain in the Vendi score of (set ∪ chosen), taken at order q = 2, where it is exact and cheap. With
 *   C = Σ xxᵀ over the n rows so far (the d×d matrix whose eigenvalues over n are those of K/n), the order-2 Vendi
 *   score is 1 / Σλ² = n² / ‖C‖²_F, and adding a unit row x makes ‖C‖²_F grow by 2·xᵀCx + 1: the best candidate is
 *   the one with the least xᵀCx = Σ_s cos²(x, s), its summed squared cosine to everything chosen so far. Each
 *   candidate keeps that sum, and each pick adds (x·s)² to it: a rank-one update of C seen through each candidate,
 *   O(d) per candidate per pick, no eigenvalues needed. The order-1 (Shannon) score the metrics report is not
 *   maximised directly (its gain needs the eigenvalues of every C + xxᵀ); orders 1 and 2 are both Rényi-entropy
 *   effective numbers of the same spectrum and rise together (order 2 ≤ order 1), and the report shows the order-1
 *   score before and after, beside a random selection.
 * - `facility`: facility location, F(S) = Σ_i max(0, max_{s ∈ set ∪ S} cos(i, s)) over a seeded sample of up to
 *   FACILITY_GROUND pool rows (the points to cover; the given set covers some of them already), greedy with lazy
 *   evaluation (Minoux): F is submodular, so a stale gain is an upper bound and only the top of the heap is redone.
 * - `threshold`: DEITA's rule (Liu et al. 2024): walk the pool in a seeded random order (DEITA walks it by a quality
 *   score; there is none here) and keep a row only if its cosine similarity to every kept row, and to every row of the
 *   given set, is ≤ τ (default 0.9), until K are kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FieldMapping } from '../model';
import type { MetricValue, SelectionMetricId, SelectMethod } from '../../shared/diversity';
import { formatOfExtension } from '../../shared/fileTypes';
import { readRecords } from '../readers/index';
import { isPlainRecord, REVIEW_FIELD } from '../readers/schema';
import { writeFileAtomic } from '../util/fsutil';
import { sifEmbeddings, tfidfVectors, type EmbeddingSet } from './embeddings';
import { recordInstructions, type Instruction } from './instructions';
import { distinctN, intern, templateConcentration } from './lexical';
import { meanCosineDistanceDense, TFIDF_SAMPLE, vendiDense, vendiSparse } from './semantic';
import { sampleIndices, seededRandom, words } from './text';

/** Points the facility-location objective covers (a seeded sample of the pool; all of it when smaller). */
export const FACILITY_GROUND = 1000;
export const DEFAULT_TAU = 0.9;

export interface SelectOptions {
  k: number;
  method: SelectMethod;
  seed?: number;
  /** `threshold`: the most cosine similarity a kept row may have to another (default 0.9). */
  tau?: number;
  /** `facility`: points to cover (default FACILITY_GROUND). */
  ground?: number;
  signal?: AbortSignal;
}

export interface SelectionResult {
  /** Pool rows chosen, in the order they were chosen. */
  picked: number[];
  /** A uniform random choice of the same number of rows with an embedding, same seed (the baseline). */
  random: number[];
  /** Pool rows with an embedding (the ones that can be chosen). */
  candidates: number;
  /** What the method could not do (fewer than K chosen), in words; undefined when K were chosen. */
  shortfall?: string;
}

/** A seeded priority per row: lower wins a tie. */
function tieRanks(n: number, seed: number): Uint32Array {
  const random = seededRandom((seed ^ 0x9e3779b9) >>> 0);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const rank = new Uint32Array(n);
  order.forEach((row, r) => (rank[row] = r));
  return rank;
}

function dot(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let t = 0; t < d; t++) {
    s += a[ai + t]! * b[bj + t]!;
  }
  return s;
}

/** Chooses `options.k` rows of `pool` that add the most diversity to `against` (or to nothing). */
export function selectDiverse(pool: EmbeddingSet, against: EmbeddingSet | undefined, options: SelectOptions): SelectionResult {
  if (!Number.isInteger(options.k) || options.k < 1) {
    throw new RangeError(`K must be a whole number ≥ 1, got ${options.k}`);
  }
  if (against && against.dimensions !== pool.dimensions) {
    throw new RangeError(`the pool's embeddings have ${pool.dimensions} dimensions and the set's ${against.dimensions}`);
  }
  const tau = options.tau ?? DEFAULT_TAU;
  if (!(tau >= -1 && tau <= 1)) {
    throw new RangeError(`τ must be a cosine similarity in [-1, 1], got ${tau}`);
  }
  const seed = options.seed ?? 1;
  const candidates: number[] = [];
  for (let i = 0; i < pool.count; i++) {
    if (pool.present[i]) {
      candidates.push(i);
    }
  }
  const k = Math.min(options.k, candidates.length);
  const rank = tieRanks(pool.count, seed);
  const random = sampleIndices(candidates.length, k, seededRandom(seed)).map((i) => candidates[i]!);
  let picked: number[];
  switch (options.method) {
    case 'vendi':
      picked = greedyVendi(pool, against, candidates, k, rank, options.signal);
      break;
    case 'facility':
      picked = facilityLocation(pool, against, candidates, k, rank, options.ground ?? FACILITY_GROUND, seed, options.signal);
      break;
    case 'threshold':
      picked = threshold(pool, against, candidates, k, rank, tau, options.signal);
      break;
    default:
      throw new RangeError(`unknown selection method ${JSON.stringify(options.method)}`);
  }
  let shortfall: string | undefined;
  if (picked.length < options.k) {
    shortfall =
      picked.length < k
        ? `only ${picked.length} of the ${candidates.length} pool instructions have a cosine similarity ≤ τ = ${tau} to every kept one${against ? ' and to the set' : ''}`
        : `the pool has only ${candidates.length} instructions with an embedding (of ${pool.count}): all of them are chosen`;
  }
  return { picked, random: random.slice(0, picked.length), candidates: candidates.length, shortfall };
}

function greedyVendi(
  pool: EmbeddingSet,
  against: EmbeddingSet | undefined,
  candidates: number[],
  k: number,
  rank: Uint32Array,
  signal?: AbortSignal,
): number[] {
  const d = pool.dimensions;
  const rows = pool.rows;
  // score[j] = x_jᵀ C x_j, C = Σ ssᵀ over the set and the rows chosen so far.
  const score = new Float64Array(pool.count);
  if (against) {
    const cov = new Float64Array(d * d);
    for (let i = 0; i < against.count; i++) {
      if (!against.present[i]) {
        continue;
      }
      const base = i * d;
      for (let a = 0; a < d; a++) {
        const x = against.rows[base + a]!;
        if (x === 0) {
          continue;
        }
        for (let b = 0; b < d; b++) {
          cov[a * d + b]! += x * against.rows[base + b]!;
        }
      }
    }
    const cx = new Float64Array(d);
    for (const j of candidates) {
      const base = j * d;
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) {
          s += cov[a * d + b]! * rows[base + b]!;
        }
        cx[a] = s;
      }
      let s = 0;
      for (let a = 0; a < d; a++) {
        s += rows[base + a]! * cx[a]!;
      }
      score[j] = s;
    }
  }
  const alive = candidates.slice();
  const picked: number[] = [];
  while (picked.length < k) {
    if ((picked.length & 63) === 0) {
      signal?.throwIfAborted();
    }
    let best = -1;
    let at = -1;
    for (let p = 0; p < alive.length; p++) {
      const j = alive[p]!;
      if (best < 0 || score[j]! < score[best]! || (score[j] === score[best] && rank[j]! < rank[best]!)) {
        best = j;
        at = p;
      }
    }
    picked.push(best);
    alive[at] = alive[alive.length - 1]!;
    alive.pop();
    for (const j of alive) {
      const c = dot(rows, j, rows, best, d);
      score[j]! += c * c;
    }
  }
  return picked;
}

/** A binary max-heap of (gain, rank, row, stamp): higher gain first, then lower rank. */
class GainHeap {
  private readonly items: Array<{ gain: number; rank: number; row: number; stamp: number }> = [];

  get size(): number {
    return this.items.length;
  }

  private above(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.gain > y.gain || (x.gain === y.gain && x.rank < y.rank);
  }

  private swap(a: number, b: number): void {
    const t = this.items[a]!;
    this.items[a] = this.items[b]!;
    this.items[b] = t;
  }

  push(item: { gain: number; rank: number; row: number; stamp: number }): void {
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) {
        break;
      }
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { gain: number; rank: number; row: number; stamp: number } | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length && last) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && this.above(l, m)) {
          m = l;
        }
        if (r < this.items.length && this.above(r, m)) {
          m = r;
        }
        if (m === i) {
          break;
        }
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

function facilityLocation(
  pool: EmbeddingSet,
  against: EmbeddingSet | undefined,
  candidates: number[],
  k: number,
  rank: Uint32Array,
  groundSize: number,
  seed: number,
  signal?: AbortSignal,
): number[] {
  const d = pool.dimensions;
  const rows = pool.rows;
  const ground = sampleIndices(candidates.length, groundSize, seededRandom((seed + 0x51ed27) >>> 0)).map((i) => candidates[i]!);
  // cover[g]: how well ground point g is covered already (max clipped cosine to the set and the chosen rows).
  const cover = new Float64Array(ground.length);
  if (against) {
    for (let i = 0; i < against.count; i++) {
      if (!against.present[i]) {
        continue;
      }
      ground.forEach((g, gi) => {
        const c = dot(against.rows, i, rows, g, d);
        if (c > cover[gi]!) {
          cover[gi] = c;
        }
      });
    }
  }
  const gain = (j: number): number => {
    let s = 0;
    for (let gi = 0; gi < ground.length; gi++) {
      const c = dot(rows, j, rows, ground[gi]!, d);
      if (c > cover[gi]!) {
        s += c - cover[gi]!;
      }
    }
    return s;
  };
  const heap = new GainHeap();
  candidates.forEach((j, n) => {
    if ((n & 255) === 0) {
      signal?.throwIfAborted();
    }
    heap.push({ gain: gain(j), rank: rank[j]!, row: j, stamp: 0 });
  });
  const picked: number[] = [];
  while (picked.length < k && heap.size) {
    const top = heap.pop()!;
    if (top.stamp !== picked.length) {
      signal?.throwIfAborted();
      heap.push({ ...top, gain: gain(top.row), stamp: picked.length });
      continue;
    }
    picked.push(top.row);
    ground.forEach((g, gi) => {
      const c = dot(rows, top.row, rows, g, d);
      if (c > cover[gi]!) {
        cover[gi] = c;
      }
    });
  }
  return picked;
}

function threshold(
  pool: EmbeddingSet,
  against: EmbeddingSet | undefined,
  candidates: number[],
  k: number,
  rank: Uint32Array,
  tau: number,
  signal?: AbortSignal,
): number[] {
  const d = pool.dimensions;
  const order = candidates.slice().sort((a, b) => rank[a]! - rank[b]!);
  const kept: number[] = [];
  for (let n = 0; n < order.length && kept.length < k; n++) {
    if ((n & 255) === 0) {
      signal?.throwIfAborted();
    }
    const j = order[n]!;
    let ok = kept.every((s) => dot(pool.rows, j, pool.rows, s, d) <= tau);
    if (ok && against) {
      for (let i = 0; i < against.count && ok; i++) {
        ok = !against.present[i] || dot(pool.rows, j, against.rows, i, d) <= tau;
      }
    }
    if (ok) {
      kept.push(j);
    }
  }
  return kept;
}

/** The rows `indices` of `sets` taken in turn (a set, then the next), as one set. */
export function concatRows(parts: Array<{ set: EmbeddingSet; indices?: readonly number[] }>): EmbeddingSet {
  const d = parts[0]?.set.dimensions ?? 0;
  const count = parts.reduce((n, p) => n + (p.indices ? p.indices.length : p.set.count), 0);
  const rows = new Float32Array(count * d);
  const present = new Uint8Array(count);
  let at = 0;
  for (const { set, indices } of parts) {
    if (set.dimensions !== d) {
      throw new RangeError(`embeddings of ${set.dimensions} and ${d} dimensions cannot be joined`);
    }
    const take = indices ?? Array.from({ length: set.count }, (_, i) => i);
    for (const i of take) {
      rows.set(set.rows.subarray(i * d, (i + 1) * d), at * d);
      present[at] = set.present[i]!;
      at++;
    }
  }
  return { dimensions: d, rows, present, count };
}

/**
 * The metrics a selection is judged by, of one set of instructions: distinct-2, template concentration, Vendi and mean
 * cosine distance over `embeddings` (the same rows, in order; the built-in word vectors when not given) and Vendi over
 * TF-IDF (on a seeded sample of TFIDF_SAMPLE, as `t2vid diversity` does).
 */
export function selectionMetrics(
  texts: readonly string[],
  options: { embeddings?: EmbeddingSet; kind?: string; seed?: number } = {},
): Record<SelectionMetricId, MetricValue> {
  const tokenised = texts.map((t) => words(t));
  const interned = intern(tokenised);
  const template = templateConcentration(tokenised);
  const embedded = options.embeddings ?? sifEmbeddings(tokenised);
  const kind = options.kind ?? 'SIF word vectors';
  const sample = sampleIndices(tokenised.length, TFIDF_SAMPLE, seededRandom(options.seed ?? 1));
  const tfidf = tfidfVectors(sample.map((i) => tokenised[i]!));
  const sampled =
    sample.length < tokenised.length
      ? `a seeded sample of ${sample.length} of ${tokenised.length} instructions`
      : `all ${tokenised.length} instructions`;
  return {
    'distinct-2': distinctN(interned, 2),
    'template-concentration': { value: template.value, sampleSize: template.sampleSize, definition: template.definition },
    vendi: vendiDense(embedded, 1, kind),
    'vendi-tfidf': vendiSparse(tfidf, 1, `TF-IDF, ${sampled}`),
    'mean-cosine-distance': meanCosineDistanceDense(embedded, kind),
  };
}

/** What `writeSelection` wrote. */
export interface WrittenSelection {
  /** Records written (each record once, however many of its instructions were chosen). */
  records: number;
  /** JSONL lines copied byte for byte. */
  copied: number;
  /** Records of several instructions (L-Eval, *.t2vid.jsonl) written with only the chosen ones (re-serialised). */
  narrowed: number;
  /** Records of JSON arrays and Parquet files, written as one JSON line each. */
  converted: number;
  /** Instructions the written records hold. */
  instructions: number;
}

function recordKey(source: Instruction['source']): string {
  return `${source.line}:${source.element ?? ''}`;
}

/** JSON text of a record read from Parquet or JSON (64-bit integers as numbers when exact, else as strings). */
function recordJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
  );
}

/**
 * The record with only the instructions at `keep` (indices among the instructions read from it) when it holds
 * several in a list (L-Eval `instructions` with its `outputs`, `*.t2vid.jsonl` `qa`, and the review statuses beside
 * them); undefined when it cannot be narrowed (then it is written whole).
 */
function narrowRecord(
  record: Record<string, unknown>,
  fields: FieldMapping | undefined,
  keep: ReadonlySet<number>,
): Record<string, unknown> | undefined {
  const parsed = recordInstructions(record, fields, () => undefined);
  const statuses = Array.isArray(record[REVIEW_FIELD]) ? (record[REVIEW_FIELD] as unknown[]) : [];
  let list: unknown[];
  let aligned: string[];
  let counted: (item: unknown, i: number) => boolean;
  if (parsed?.schema === 'leval' && Array.isArray(record.instructions)) {
    list = record.instructions;
    aligned = ['instructions', 'outputs', REVIEW_FIELD];
    counted = (item, i) => typeof item === 'string' && statuses[i] !== 'rejected';
  } else if (parsed?.schema === 't2vid-qa' && Array.isArray(record.qa)) {
    list = record.qa;
    aligned = ['qa', REVIEW_FIELD];
    counted = (pair, i) =>
      isPlainRecord(pair) && typeof pair.question === 'string' && pair.status !== 'rejected' && statuses[i] !== 'rejected';
  } else {
    return undefined;
  }
  // Instruction k of the record is the k-th counted item of the list.
  const original = new Set<number>();
  let k = 0;
  list.forEach((item, i) => {
    if (counted(item, i)) {
      if (keep.has(k)) {
        original.add(i);
      }
      k++;
    }
  });
  const out: Record<string, unknown> = { ...record };
  for (const key of aligned) {
    const value = record[key];
    if (Array.isArray(value) && value.length === list.length) {
      out[key] = value.filter((_, i) => original.has(i));
    }
  }
  return out;
}

/** The physical lines `wanted` (1-based) of a file, as bytes without their terminator, streamed. */
async function rawLines(file: string, wanted: ReadonlySet<number>, signal?: AbortSignal): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  let line = 1;
  let carry: Buffer[] = [];
  const take = (piece: Buffer): void => {
    if (wanted.has(line)) {
      let bytes = carry.length ? Buffer.concat([...carry, piece]) : piece;
      if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
      }
      out.set(line, Buffer.from(bytes));
    }
    carry = [];
  };
  for await (const chunk of fs.createReadStream(file, { signal })) {
    const buffer = chunk as Buffer;
    let start = 0;
    for (;;) {
      const newline = buffer.indexOf(0x0a, start);
      if (newline < 0) {
        if (wanted.has(line)) {
          carry.push(buffer.subarray(start));
        }
        break;
      }
      take(buffer.subarray(start, newline));
      line++;
      start = newline + 1;
    }
  }
  if (carry.length) {
    take(Buffer.alloc(0));
  }
  return out;
}

/**
 * Writes the records holding the chosen instructions of `pool` (indices into it) to `out` as JSON Lines, atomically,
 * in pool order, each record once: a JSONL record whose every instruction was chosen is its line copied byte for byte;
 * an L-Eval or `*.t2vid.jsonl` record of which only some were chosen is re-serialised with only those (and their
 * outputs); records of JSON arrays and Parquet files are written as one JSON line each.
 */
export async function writeSelection(
  pool: readonly Instruction[],
  chosen: readonly number[],
  out: string,
  options: { fields?: FieldMapping; signal?: AbortSignal } = {},
): Promise<WrittenSelection> {
  // Per file, per record: how many instructions were read from it, and which were chosen.
  const files = new Map<string, Map<string, { read: number; keep: Set<number>; order: number }>>();
  pool.forEach((instruction, order) => {
    const records = files.get(instruction.source.file) ?? new Map<string, { read: number; keep: Set<number>; order: number }>();
    files.set(instruction.source.file, records);
    const key = recordKey(instruction.source);
    const record = records.get(key) ?? { read: 0, keep: new Set<number>(), order };
    records.set(key, record);
    record.read++;
  });
  for (const i of chosen) {
    const instruction = pool[i]!;
    files.get(instruction.source.file)!.get(recordKey(instruction.source))!.keep.add(instruction.index);
  }
  const written: WrittenSelection = { records: 0, copied: 0, narrowed: 0, converted: 0, instructions: 0 };
  const pieces: Array<{ order: number; bytes: Buffer }> = [];
  for (const [file, records] of files) {
    const wanted = new Map([...records].filter(([, r]) => r.keep.size > 0));
    if (!wanted.size) {
      continue;
    }
    const jsonl = formatOfExtension(path.extname(file)) === 'jsonl';
    // Records that need their value: narrowed ones, and every record of a JSON array or Parquet file.
    const needValue = new Set([...wanted].filter(([, r]) => !jsonl || r.keep.size < r.read).map(([key]) => key));
    const values = new Map<string, Record<string, unknown>>();
    if (needValue.size) {
      for await (const found of readRecords<{ key: string; value: Record<string, unknown> }>(
        file,
        (value, _ctx, position) => {
          const key = `${position.line}:${position.element ?? ''}`;
          return needValue.has(key) && isPlainRecord(value) ? { key, value } : undefined;
        },
        { fields: options.fields, signal: options.signal },
      )) {
        values.set(found.key, found.value);
      }
    }
    const lines = jsonl
      ? await rawLines(file, new Set([...wanted.keys()].map((key) => Number(key.split(':')[0]))), options.signal)
      : new Map<number, Buffer>();
    for (const [key, record] of wanted) {
      written.records++;
      const value = values.get(key);
      const narrowed = value && record.keep.size < record.read ? narrowRecord(value, options.fields, record.keep) : undefined;
      if (jsonl && !narrowed) {
        const bytes = lines.get(Number(key.split(':')[0]));
        if (!bytes) {
          throw new Error(`${file}:${key.split(':')[0]}: the line changed while it was read`);
        }
        pieces.push({ order: record.order, bytes: Buffer.concat([bytes, Buffer.from('\n')]) });
        written.copied++;
        written.instructions += record.read;
        continue;
      }
      if (!value) {
        throw new Error(`${file}:${key.split(':')[0]}: the record changed while it was read`);
      }
      if (narrowed) {
        written.narrowed++;
        written.instructions += record.keep.size;
      } else {
        written.converted++;
        written.instructions += record.read;
      }
      pieces.push({ order: record.order, bytes: Buffer.from(recordJson(narrowed ?? value) + '\n') });
    }
  }
  pieces.sort((a, b) => a.order - b.order);
  await writeFileAtomic(out, Buffer.concat(pieces.map((p) => p.bytes)));
  return written;
}
