/** The prompts the LLM generator sends: a document's frames, N pairs to write, or one new pair unlike the existing ones. */
import type { GeneratedQAKind, QADocument } from './types';

/** Recorded in each pair's provenance and in the cache key: change it whenever the prompts change. */
export const LLM_PROMPT_VERSION = 'llm-qa-1';

const SYSTEM_PROMPT =
  'You write question-answer pairs for training a video-language model. The "video" is a long text shown as consecutive frames ' +
  '(images of text), in order. Write questions a viewer of the frames can answer, varied across these kinds: ' +
  'summary (what a part or the whole is about), detail (a specific fact), reasoning (why or how, from the text), ' +
  'comparison (two parts compared), temporal (order: what comes before or after, which comes first, when something is said), ' +
  'counting (how many frames or times), needle (find one specific detail or term). Prefer questions that need the order of ' +
  'frames or several frames. Every answer must be fully supported by the text: no outside knowledge. For each pair give ' +
  'supportingFrames: the frame indices (as labelled, starting at 0) that hold the evidence. When a question or answer names a ' +
  'frame, call index i "Frame i+1". Reply with JSON only, matching the schema.';

/**
 * The schema spelled out in the prompt, for servers that take no `json_schema` response format (JSON mode or
 * prompt-only): the reply is validated against the same schema either way.
 */
export function schemaInstruction(schema: Record<string, unknown>): string {
  return `Reply with one JSON object and nothing else (no Markdown fence, no text before or after it), matching this JSON schema: ${JSON.stringify(schema)}`;
}

/** The frames as the model sees them: a count, then each frame's text, labelled by its 0-based index. */
function framesPrompt(doc: QADocument): string {
  const frames = doc.frames.map(([a, b], i) => `<frame index="${i}">\n${doc.context.slice(a, b).trim()}\n</frame>`).join('\n');
  return `The text has ${doc.frames.length} frames (indices 0 to ${doc.frames.length - 1}).\n\n${frames}`;
}

export function buildMessages(doc: QADocument, perDoc: number): Array<{ role: 'system' | 'user'; content: string }> {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `${framesPrompt(doc)}\n\nWrite exactly ${perDoc} question-answer pairs about it, of varied kinds.` },
  ];
}

/** At most this many existing questions are listed in a regeneration prompt (the most recent are kept). */
const MAX_LISTED_QUESTIONS = 200;

/**
 * The messages asking for ONE new pair: the frames, the questions that already exist (so the model writes a different
 * one) and, if known, the kind wanted.
 */
export function buildRegenerateMessages(
  doc: QADocument,
  existingQuestions: readonly string[],
  kind?: GeneratedQAKind,
): Array<{ role: 'system' | 'user'; content: string }> {
  const listed = existingQuestions.slice(-MAX_LISTED_QUESTIONS).map((q, i) => `${i + 1}. ${q.replace(/\s+/g, ' ').trim().slice(0, 500)}`);
  const avoid = listed.length
    ? `These questions about the text already exist. Do not repeat or rephrase any of them:\n${listed.join('\n')}\n\n`
    : '';
  const user =
    `${framesPrompt(doc)}\n\n${avoid}Write exactly 1 new question-answer pair about it` +
    (kind ? ` of kind "${kind}"` : '') +
    (listed.length ? ', different from every question listed above.' : '.');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}

/** Normalised for comparing questions: whitespace collapsed, case folded. */
export function questionKey(question: string): string {
  return question.replace(/\s+/g, ' ').trim().toLowerCase();
}
