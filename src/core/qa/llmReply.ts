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

/**
 * The JSON value in a model's reply. Models without guided decoding (Ollama, llama.cpp, vLLM) often wrap it:
 * "Sure! Here are the questions:\n```json\n{…}\n```", or put a sentence before or after the object. Tried in
 * order: the whole reply; each Markdown fence (```json first); the first balanced {…} (or […]) in the text.
 * The value is then validated like any other reply, so extraction never accepts a wrong shape.
 */
export function extractJson(content: string): { data: unknown } | { error: string } {
  const text = content.replace(/^\uFEFF/, '').trim();
  let firstError = '';
  const attempt = (candidate: string): { data: unknown } | undefined => {
    try {
      return { data: JSON.parse(candidate) };
    } catch (e) {
      firstError ||= (e as Error).message;
      return undefined;
    }
  };
  const whole = attempt(text);
  if (whole) {
    return whole;
  }
  const fences = [...text.matchAll(/```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$)/g)]
    .map((m) => ({ lang: m[1].toLowerCase(), body: m[2].trim() }))
    .sort((a, b) => Number(b.lang === 'json') - Number(a.lang === 'json'));
  for (const fence of fences) {
    const found = attempt(fence.body) ?? balanced(fence.body, attempt);
    if (found) {
      return found;
    }
  }
  return balanced(text, attempt) ?? { error: `reply is not JSON (${firstError})` };
}

/** The first balanced {…} or […] span of `text` (strings and escapes respected) that parses. */
function balanced(text: string, attempt: (candidate: string) => { data: unknown } | undefined): { data: unknown } | undefined {
  for (let start = text.search(/[{[]/); start >= 0 && start < text.length;) {
    const stack: string[] = [];
    let inString = false;
    let end = -1;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') {
          i++;
        } else if (c === '"') {
          inString = false;
        }
      } else if (c === '"') {
        inString = true;
      } else if (c === '{' || c === '[') {
        stack.push(c === '{' ? '}' : ']');
      } else if (c === '}' || c === ']') {
        if (stack.pop() !== c) {
          break;
        }
        if (!stack.length) {
          end = i;
          break;
        }
      }
    }
    if (end > start) {
      const found = attempt(text.slice(start, end + 1));
      if (found) {
        return found;
      }
    }
    const next = text.slice(start + 1).search(/[{[]/);
    start = next < 0 ? -1 : start + 1 + next;
  }
  return undefined;
}

/** Check a reply against the schema by hand: the pairs, or what is wrong. */
export function validateReply(content: string | null | undefined, frameCount: number): { pairs: RawPair[] } | { error: string } {
  if (typeof content !== 'string' || !content.trim()) {
    return { error: 'empty reply' };
  }
  const extracted = extractJson(content);
  if ('error' in extracted) {
    return extracted;
  }
  const data = extracted.data;
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
    out.push({
      question: question.trim(),
      answer: answer.trim(),
      kind,
      supportingFrames: [...new Set(supportingFrames as number[])].sort((a, b) => a - b),
    });
  }
  return { pairs: out };
}
