/**
 * Text token counts for the budget filters. Llama-3 (MiniCPM-Llama3-V 2.5, Idefics3-8B-Llama3) is counted exactly
 * with llama3-tokenizer-js (the Llama-3 BPE vocabulary and merges baked in, offline; its own tests compare with
 * Meta's and Hugging Face's tokenizer). Other backbones (Qwen2, InternLM2.5) have no maintained offline tokenizer
 * package: their counts are the Llama-3 count, labelled `estimate` wherever they are shown (both are byte-level BPE
 * vocabularies of 92K–152K entries, so counts on English and Chinese prose are close, not equal).
 */
import { exactTextTokens, type ModelProfile } from '../../shared/profiles';

interface Llama3Tokenizer {
  encode(text: string, options?: { bos?: boolean; eos?: boolean }): number[];
  decode(ids: number[]): string;
}

let tokenizer: Llama3Tokenizer | undefined;

/** Loaded on first use: its 3 MB of vocabulary is parsed only by runs that count tokens. */
function llama3(): Llama3Tokenizer {
  if (!tokenizer) {
    // The package's CommonJS bundle (its `main` is an ES module); esbuild bundles it into dist/cli.js.
    const mod = require('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs') as {
      llama3Tokenizer: Llama3Tokenizer;
    };
    tokenizer = mod.llama3Tokenizer;
  }
  return tokenizer;
}

/** Llama-3 token ids of `text`, with `<|begin_of_text|>` (128000) first when `bos`; never an end token. */
export function llama3Encode(text: string, bos = true): number[] {
  return llama3().encode(text, { bos, eos: false });
}

export function llama3Decode(ids: number[]): string {
  return llama3().decode(ids);
}

/** How a count was made: `exact` (the profile's own tokenizer) or `estimate`. */
export type TokenCountKind = 'exact' | 'estimate';

export interface TokenCounter {
  kind: TokenCountKind;
  /** Tokens of `text` with BOS (as `tokenizer(text)` of the filter scripts). */
  count(text: string): number;
}

export function tokenCounter(profile: ModelProfile): TokenCounter {
  return { kind: exactTextTokens(profile) ? 'exact' : 'estimate', count: (text) => llama3Encode(text, true).length };
}
