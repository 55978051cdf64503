/**
 * Every diversity metric of one instruction set, and the reading of datasets into sets (`t2vid diversity`, and later
 * the webview and `t2vid select`). Deterministic for a seed.
 */
import type { FieldMapping, InputCounts, ReadIssue } from '../model';
import type { DIVERSITY_METRICS, DiversityMetricId, MetricValue } from '../../shared/diversity';
import { readInstructions, type Instruction } from './instructions';
import {
  distinctN,
  eadN,
  EAD_VOCABULARY,
  exactDuplicates,
  intern,
  lengthStats,
  mattr,
  nearDuplicates,
  ngramCounts,
  templateConcentration,
  type Opening,
} from './lexical';
import { normalise, sampleIndices, seededRandom, words } from './text';
import { verbNoun, type VerbNounTree } from './verbNoun';
import { semanticMetrics, type SemanticOptions } from './semantic';

export interface MeasureOptions {
  /** Seed of every random choice (sampling, MinHash, k-means, pair sampling). Default 1. */
  seed?: number;
  /** Vendi score order (default 1). */
  q?: number;
  /** Near-duplicate Jaccard threshold (default 0.8). */
  nearThreshold?: number;
  /** Skip the semantic metrics (word vectors, TF-IDF). */
  lexicalOnly?: boolean;
  /** Embeddings instead of the built-in word vectors (one row per text), e.g. from an API, and their name. */
  embeddings?: SemanticOptions['embeddings'];
}

/** The metrics of one set, keyed by metric id (src/shared/diversity.ts), and the details charts use. */
export interface DiversityResult {
  metrics: Partial<Record<DiversityMetricId, MetricValue>>;
  /** The 10 most common openings with their counts. */
  openings: Opening[];
  /** Top 20 verbs × top 4 nouns (English instructions only). */
  verbNoun: VerbNounTree;
}

/** The phases of a measurement, in order (progress reports name them). */
export const MEASURE_PHASES = ['words', 'n-grams', 'duplicates', 'verb–noun', 'embeddings'] as const;
export type MeasurePhase = (typeof MEASURE_PHASES)[number];

/** The measurement as steps: yields the phase about to run, returns the result. */
function* measureSteps(texts: readonly string[], options: MeasureOptions): Generator<MeasurePhase, DiversityResult> {
  const seed = options.seed ?? 1;
  yield 'words';
  const tokenised = texts.map((text) => words(text));
  const interned = intern(tokenised);
  yield 'n-grams';
  const lengths = lengthStats(interned);
  const template = templateConcentration(tokenised);
  const counts = [1, 2, 3].map((n) => ngramCounts(interned, n));
  const metrics: DiversityResult['metrics'] = {
    instructions: { value: texts.length, sampleSize: texts.length, definition: 'instructions measured (after --sample)' },
    'distinct-1': distinctN(interned, 1, counts[0]),
    'distinct-2': distinctN(interned, 2, counts[1]),
    'distinct-3': distinctN(interned, 3, counts[2]),
    'ead-1': eadN(interned, 1, EAD_VOCABULARY, counts[0]),
    'ead-2': eadN(interned, 2, EAD_VOCABULARY, counts[1]),
    'ead-3': eadN(interned, 3, EAD_VOCABULARY, counts[2]),
    mattr: mattr(interned, 50),
    'length-mean': lengths.mean,
    'length-median': lengths.median,
    'length-p10': lengths.p10,
    'length-p90': lengths.p90,
  };
  yield 'duplicates';
  metrics['exact-duplicates'] = exactDuplicates(texts.map(normalise));
  metrics['near-duplicates'] = nearDuplicates(tokenised, { threshold: options.nearThreshold, seed });
  metrics['template-concentration'] = { value: template.value, sampleSize: template.sampleSize, definition: template.definition };
  yield 'verb–noun';
  const vn = verbNoun(texts, tokenised);
  metrics['verb-noun-coverage'] = vn.coverage;
  metrics['verb-noun-distinct'] = vn.distinct;
  metrics['verb-noun-entropy'] = vn.entropy;
  if (!options.lexicalOnly) {
    yield 'embeddings';
    Object.assign(metrics, semanticMetrics(tokenised, { seed, q: options.q, embeddings: options.embeddings }));
  }
  return { metrics, openings: template.openings, verbNoun: vn.tree };
}

/** Measures one instruction set (texts as extracted), synchronously. */
export function measureInstructions(texts: readonly string[], options: MeasureOptions = {}): DiversityResult {
  const steps = measureSteps(texts, options);
  for (;;) {
    const step = steps.next();
    if (step.done) {
      return step.value;
    }
  }
}

/**
 * The same measurement, giving the event loop a turn between phases: `signal` cancels (throws its reason) before the
 * next phase, and `onProgress` hears each phase as it starts.
 */
export async function measureInstructionsAsync(
  texts: readonly string[],
  options: MeasureOptions & { signal?: AbortSignal; onProgress?: (phase: MeasurePhase) => void } = {},
): Promise<DiversityResult> {
  const steps = measureSteps(texts, options);
  for (;;) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    options.signal?.throwIfAborted();
    const step = steps.next();
    if (step.done) {
      return step.value;
    }
    options.onProgress?.(step.value);
  }
}

/** One dataset: a label and the files whose instructions it measures together. */
export interface DatasetSpec {
  label: string;
  files: string[];
}

export interface ReadSetOptions {
  fields?: FieldMapping;
  /** Keep placeholders and option lists. */
  raw?: boolean;
  /** Measure a seeded uniform sample of this many instructions (all of them when the set is smaller). */
  sample?: number;
  seed?: number;
  onIssue?: (issue: ReadIssue) => void;
  signal?: AbortSignal;
}

/** The instructions of a dataset's files, in file order; with `sample`, a seeded sample of them (still in order). */
export async function readInstructionSet(
  spec: DatasetSpec,
  options: ReadSetOptions = {},
): Promise<{ instructions: Instruction[]; read: number }> {
  const all: Instruction[] = [];
  for (const file of spec.files) {
    for await (const instruction of readInstructions(file, {
      fields: options.fields,
      raw: options.raw,
      onIssue: options.onIssue,
      signal: options.signal,
    })) {
      all.push(instruction);
    }
  }
  if (options.sample === undefined || options.sample >= all.length) {
    return { instructions: all, read: all.length };
  }
  const picked = sampleIndices(all.length, options.sample, seededRandom(options.seed ?? 1));
  return { instructions: picked.map((i) => all[i]!), read: all.length };
}

/** What `embeddings` says when the semantic metrics used the built-in word vectors. */
export const SIF_EMBEDDINGS = 'SIF word vectors';

/** One dataset in the JSON report. */
export interface DatasetReport extends DiversityResult {
  label: string;
  files: string[];
  /** Instructions read from the files, before --sample. */
  instructionsRead: number;
  input: InputCounts;
  seconds: number;
}

/** The JSON object `--json` prints. */
export interface DiversityReport {
  seed: number;
  vendiQ: number;
  nearThreshold: number;
  sample: number | null;
  /** What the semantic metrics were computed over: the built-in word vectors, or the API model (--embeddings). */
  embeddings: string;
  metrics: typeof DIVERSITY_METRICS;
  datasets: DatasetReport[];
}
