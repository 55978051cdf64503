/**
 * The view mapping of the curation editor: a dataset line (its text and its parsed row) as the webview shows it, and
 * a pair as the Q&A generators take it back for "Regenerate".
 */
import type { PairData, ParsedRow } from '../../core/curation/records';
import type { GeneratedPair } from '../../core/qa/types';
import { lineHash, type PairView, type RowView } from '../../shared/protocol/curation';

/** Characters of each context sent with a row (the frames show the rest). */
export const CONTEXT_HEAD = 400;

export function pairView(pair: PairData): PairView {
  return {
    question: pair.question,
    answer: pair.answer,
    status: pair.status,
    kind: pair.kind ?? null,
    generator: pair.generator ?? null,
    model: pair.model ?? null,
    createdAt: pair.createdAt ?? null,
    editedByUser: pair.editedByUser ?? false,
    supportingFrames: pair.supportingFrames ?? [],
    questionReadOnly: pair.questionReadOnly ?? false,
  };
}

/** Line `line` (0-based) of text `text`, parsed as `row`, as one row of the list (an invalid line is an error row). */
export function rowView(line: number, text: string, row: ParsedRow): RowView {
  const hash = lineHash(text);
  if (!row.ok) {
    return {
      line,
      hash,
      ok: false,
      error: row.error,
      id: `line ${line + 1}`,
      schema: null,
      contextHead: text.slice(0, CONTEXT_HEAD),
      contextLength: text.length,
      frameCount: null,
      pairs: [],
      canAdd: false,
      canDelete: false,
      warnings: [],
    };
  }
  return {
    line,
    hash,
    ok: true,
    error: null,
    id: row.id,
    schema: row.schema,
    contextHead: row.context.slice(0, CONTEXT_HEAD),
    contextLength: row.context.length,
    frameCount: row.frames ? row.frames.length : null,
    pairs: row.pairs.map(pairView),
    canAdd: row.canAdd,
    canDelete: row.canDelete,
    warnings: row.warnings,
  };
}

/** A pair as the generators see it (pairs of other formats have no provenance: they came with the data). */
export function asGenerated(pair: PairData): GeneratedPair {
  return {
    question: pair.question,
    answer: pair.answer,
    kind: (pair.kind ?? 'other') as GeneratedPair['kind'],
    supportingFrames: pair.supportingFrames ?? [],
    provenance: {
      generator: (pair.generator ?? 'source') as GeneratedPair['provenance']['generator'],
      promptVersion: pair.promptVersion ?? 'source',
      createdAt: pair.createdAt ?? '',
      editedByUser: pair.editedByUser ?? false,
    },
    status: pair.status,
  };
}
