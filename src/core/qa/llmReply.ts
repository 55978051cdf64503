/** The LLM's reply: its JSON schema (strict structured output) and the check of a reply against it. */
import { GENERATED_QA_KINDS, isGeneratedQAKind, type GeneratedQAKind } from './types';

/** The pair as the model returns it (before provenance). */
export interface RawPair {
  question: string;
  answer: string;
  kind: GeneratedQAKind;
  supportingFrames: number[];
}

/** JSON schema of the reply (strict structured output). */
export function replySchema(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['pairs'],
    properties: {
      pairs: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['question', 'answer', 'kind', 'supportingFrames'],
          properties: {
            question: { type: 'string' },
            answer: { type: 'string' },
            kind: { type: 'string', enum: [...GENERATED_QA_KINDS] },
            supportingFrames: { type: 'array', items: { type: 'integer' } },
          },
        },
      },
    },
  };
}

/** Check a reply against the schema by hand: the pairs, or what is wrong. */
export function validateReply(content: string | null | undefined, frameCount: number): { pairs: RawPair[] } | { error: string } {
  if (typeof content !== 'string' || !content.trim()) {
    return { error: 'empty reply' };
  }
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (e) {
    return { error: `reply is not JSON (${(e as Error).message})` };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data) || !Array.isArray((data as { pairs?: unknown }).pairs)) {
    return { error: 'reply is not an object with a "pairs" array' };
  }
  const pairs = (data as { pairs: unknown[] }).pairs;
  if (!pairs.length) {
    return { error: '"pairs" is empty' };
  }
  const out: RawPair[] = [];
  for (const [i, p] of pairs.entries()) {
    if (!p || typeof p !== 'object' || Array.isArray(p)) {
      return { error: `pairs[${i}] is not an object` };
    }
    const { question, answer, kind, supportingFrames } = p as Record<string, unknown>;
    if (typeof question !== 'string' || !question.trim()) {
      return { error: `pairs[${i}].question is not a non-empty string` };
    }
    if (typeof answer !== 'string' || !answer.trim()) {
      return { error: `pairs[${i}].answer is not a non-empty string` };
    }
    if (!isGeneratedQAKind(kind)) {
      return { error: `pairs[${i}].kind ${JSON.stringify(kind)} is not one of ${GENERATED_QA_KINDS.join(', ')}` };
    }
    if (!Array.isArray(supportingFrames) || !supportingFrames.length) {
      return { error: `pairs[${i}].supportingFrames is not a non-empty array` };
    }
    for (const [j, f] of supportingFrames.entries()) {
      if (typeof f !== 'number' || !Number.isInteger(f) || f < 0 || f >= frameCount) {
        return { error: `pairs[${i}].supportingFrames[${j}] = ${JSON.stringify(f)} is out of range (frames 0 to ${frameCount - 1})` };
      }
    }
    out.push({ question: question.trim(), answer: answer.trim(), kind, supportingFrames: [...new Set(supportingFrames as number[])].sort((a, b) => a - b) });
  }
  return { pairs: out };
}
