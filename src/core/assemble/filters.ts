/**
 * Training-set filters per model profile, as T2Vid's utils/preprocess/minicpm-filter.py and idefics-filter.py
 * (xjtupanda/T2Vid e4d5ea2, as ../shared/FORMATS.md describes them): frames ≤ limit; first user turn < limit words
 * (words = the turn split on spaces, Python's `len(s.split(' '))`, counted on the question: the placeholders the
 * scripts put before it are joined to its first word by newlines, so the count is the same); text tokens (every
 * turn's content joined by `\n`, BOS added, placeholders not included) + frames × visual tokens per frame ≤ budget.
 * Each filter counts what it dropped; a sample is dropped by the first filter it fails, in that order.
 */
import { visualTokens, type ModelProfile, type VisualInput } from '../../shared/profiles';
import { tokenCounter, type TokenCountKind, type TokenCounter } from './tokens';
import type { TrainingSample } from './trainingSet';

export const FILTER_NAMES = ['max-frames', 'first-turn-words', 'token-budget'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export interface FilterLimits {
  maxFrames?: number;
  /** The first user turn must have fewer words than this. */
  maxFirstTurnWords?: number;
  tokenBudget?: number;
}

/** The profile's limits, each overridden by an explicit one (0: no limit). */
export function profileLimits(profile: ModelProfile, overrides: FilterLimits = {}): FilterLimits {
  const pick = (override: number | undefined, own: number | undefined): number | undefined =>
    override === 0 ? undefined : (override ?? own);
  return {
    maxFrames: pick(overrides.maxFrames, profile.frameLimit),
    maxFirstTurnWords: pick(overrides.maxFirstTurnWords, profile.firstTurnWordLimit),
    tokenBudget: pick(overrides.tokenBudget, profile.tokenBudget),
  };
}

/** Words as the filter scripts count them: `len(text.split(' '))`. */
export function scriptWords(text: string): number {
  return text.split(' ').length;
}

/** The text the budget counts: every turn's content joined by `\n`. */
export function budgetText(sample: TrainingSample): string {
  return sample.turns.map((t) => t.content).join('\n');
}

export interface Verdict {
  ok: boolean;
  /** The filter that dropped it. */
  filter?: FilterName;
  detail?: string;
  /** Text tokens (with BOS), when a budget was checked. */
  textTokens?: number;
  visualTokens: number;
}

export interface FilterReport {
  name: FilterName;
  limit: number;
  dropped: number;
}

export class SampleFilter {
  readonly counter: TokenCounter;
  private readonly dropped: Record<FilterName, number> = { 'max-frames': 0, 'first-turn-words': 0, 'token-budget': 0 };
  kept = 0;

  constructor(
    readonly profile: ModelProfile,
    readonly limits: FilterLimits,
    /** How the export hands frames to the model (Qwen2-VL video frame lists pair up; image lists do not). */
    readonly input: VisualInput,
  ) {
    this.counter = tokenCounter(profile);
  }

  get tokenKind(): TokenCountKind {
    return this.counter.kind;
  }

  check(sample: TrainingSample): Verdict {
    const frames = sample.frames.length;
    const visual = visualTokens(frames, this.profile, this.input);
    const { maxFrames, maxFirstTurnWords, tokenBudget } = this.limits;
    const drop = (filter: FilterName, detail: string, textTokens?: number): Verdict => {
      this.dropped[filter]++;
      return { ok: false, filter, detail, visualTokens: visual, ...(textTokens !== undefined ? { textTokens } : {}) };
    };
    if (maxFrames !== undefined && frames > maxFrames) {
      return drop('max-frames', `${frames} frames > ${maxFrames}`);
    }
    if (maxFirstTurnWords !== undefined) {
      const words = scriptWords(sample.turns[0]?.content ?? '');
      if (words >= maxFirstTurnWords) {
        return drop('first-turn-words', `first user turn has ${words} words, the limit is < ${maxFirstTurnWords}`);
      }
    }
    if (tokenBudget !== undefined) {
      const text = this.counter.count(budgetText(sample));
      if (text + visual > tokenBudget) {
        return drop(
          'token-budget',
          `${text} text tokens (${this.counter.kind}) + ${visual} visual tokens = ${text + visual} > ${tokenBudget}`,
          text,
        );
      }
      this.kept++;
      return { ok: true, textTokens: text, visualTokens: visual };
    }
    this.kept++;
    return { ok: true, visualTokens: visual };
  }

  /** One entry per active filter, in the order they run. */
  report(): FilterReport[] {
    const limits: Record<FilterName, number | undefined> = {
      'max-frames': this.limits.maxFrames,
      'first-turn-words': this.limits.maxFirstTurnWords,
      'token-budget': this.limits.tokenBudget,
    };
    return FILTER_NAMES.filter((n) => limits[n] !== undefined).map((name) => ({
      name,
      limit: limits[name]!,
      dropped: this.dropped[name],
    }));
  }
}

/** `max-frames (≤ 90): 3 dropped; token-budget (≤ 8192, exact Llama-3 counts): 1 dropped`. */
export function describeFilters(reports: FilterReport[], kind: TokenCountKind): string {
  if (!reports.length) {
    return 'no filters';
  }
  return reports
    .map((r) => {
      const bound = r.name === 'first-turn-words' ? `< ${r.limit} words` : `≤ ${r.limit}`;
      const note = r.name === 'token-budget' ? `, text tokens ${kind === 'exact' ? 'exact (Llama-3)' : 'estimate'}` : '';
      return `${r.name} (${bound}${note}): ${r.dropped} dropped`;
    })
    .join('; ');
}
