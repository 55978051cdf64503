/**
 * Q&A generation: the pairs a generator produces and the record written per sample to a `*.t2vid.jsonl` file.
 * Frame indices in `supportingFrames` are 0-based; questions and answers shown to people say "Frame k" 1-based.
 */
import type { SourceRef } from '../model';
import type { Range } from '../segment';

/** The kinds a generator (built-in or LLM) writes. */
export type GeneratedQAKind = 'summary' | 'detail' | 'reasoning' | 'comparison' | 'temporal' | 'counting' | 'needle';
export const GENERATED_QA_KINDS: readonly GeneratedQAKind[] = [
  'summary',
  'detail',
  'reasoning',
  'comparison',
  'temporal',
  'counting',
  'needle',
];
/** Every kind a pair can have: a generated kind, or 'other' for a pair whose kind is not known (one kept from the input). */
export type QAKind = GeneratedQAKind | 'other';
export const QA_KINDS: readonly QAKind[] = [...GENERATED_QA_KINDS, 'other'];

import type { PairOrigin, ReviewStatus } from '../../shared/vocabulary';

export type { PairOrigin };
export type QAStatus = ReviewStatus;

/** provenance.promptVersion of a pair kept from the input dataset. */
export const SOURCE_PROMPT_VERSION = 'source';

export interface Provenance {
  generator: PairOrigin;
  /** The LLM's model name (llm only). */
  model?: string;
  promptVersion: string;
  /** ISO 8601. */
  createdAt: string;
  editedByUser: boolean;
  /** The run's seed (builtin only). */
  seed?: number;
  /** The built-in generator's question family (e.g. `first-mention`, `cloze`): see BUILTIN_TEMPLATES. */
  template?: string;
}

export interface GeneratedPair {
  question: string;
  answer: string;
  /** 'other' when not known (pairs kept from the input). */
  kind: QAKind;
  /** 0-based indices of the frames the answer rests on (empty when not known: pairs kept from the input). */
  supportingFrames: number[];
  provenance: Provenance;
  status: QAStatus;
}

/** One line of a `*.t2vid.jsonl` file. */
export interface QARecord {
  id: string;
  source: SourceRef;
  context: string;
  /** Character ranges [start, end) of each frame in `context`, from the engine (paginate). */
  frames: Range[];
  qa: GeneratedPair[];
}

/** What a generator is given: one context and its frames. */
export interface QADocument {
  id: string;
  context: string;
  frames: Range[];
}

/** Any kind a stored pair may have, 'other' included. */
export function isQAKind(value: unknown): value is QAKind {
  return typeof value === 'string' && (QA_KINDS as readonly string[]).includes(value);
}

/** A kind a generator writes (what an LLM reply may say; never 'other'). */
export function isGeneratedQAKind(value: unknown): value is GeneratedQAKind {
  return typeof value === 'string' && (GENERATED_QA_KINDS as readonly string[]).includes(value);
}
