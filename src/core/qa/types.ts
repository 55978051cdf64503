/**
 * Q&A generation: the pairs a generator produces and the record written per sample to a `*.t2vid.jsonl` file.
 * Frame indices in `supportingFrames` are 0-based; questions and answers shown to people say "Frame k" 1-based.
 */
import type { SourceRef } from '../model';
import type { Range } from '../segment';

export type QAKind = 'summary' | 'detail' | 'reasoning' | 'comparison' | 'temporal' | 'counting' | 'needle';
export const QA_KINDS: readonly QAKind[] = ['summary', 'detail', 'reasoning', 'comparison', 'temporal', 'counting', 'needle'];

export type QAStatus = 'new' | 'accepted' | 'rejected' | 'flagged';

export interface Provenance {
  generator: 'builtin' | 'llm';
  /** The LLM's model name (llm only). */
  model?: string;
  promptVersion: string;
  /** ISO 8601. */
  createdAt: string;
  editedByUser: boolean;
  /** The run's seed (builtin only). */
  seed?: number;
}

export interface GeneratedPair {
  question: string;
  answer: string;
  kind: QAKind;
  /** 0-based indices of the frames the answer rests on. */
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

export function isQAKind(value: unknown): value is QAKind {
  return typeof value === 'string' && (QA_KINDS as readonly string[]).includes(value);
}
