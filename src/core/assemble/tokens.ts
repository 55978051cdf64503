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
    // The package's CommonJS bundle (its `main` is an ES module); esbuild.js keeps it in dist/vendor, loaded here.
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

/** Llama-3's special tokens (the tokenizer's added tokens): one id each wherever they stand in a text. */
const SPECIAL =
  /<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag|finetune_right_pad_id|reserved_special_token_(?:[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-3][0-9]|24[0-7]))\|>/g;
/**
 * Llama-3's pre-tokenizer split (tokenizer.json `pre_tokenizer`, the `(?i:…)` group spelled out for JavaScript): BPE
 * merges never cross these pieces, so a text's token count is the sum of its pieces' counts.
 */
const PRETOKEN =
  /(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;
const PIECE_CACHE_LIMIT = 500_000;
const pieceCounts = new Map<string, number>();

function pieceCount(piece: string): number {
  let n = pieceCounts.get(piece);
  if (n === undefined) {
    n = llama3().encode(piece, { bos: false, eos: false }).length;
    if (pieceCounts.size >= PIECE_CACHE_LIMIT) {
      pieceCounts.clear();
    }
    pieceCounts.set(piece, n);
  }
  return n;
}

/**
 * The Llama-3 token count of `text` (with BOS when `bos`), equal to `llama3Encode(text, bos).length` (checked on
 * the L-Eval texts in test/unit/tokenizer.test.ts) but with the count of each pre-tokenizer piece remembered across
 * calls: a 100K-sample export counts ~10M tokens, mostly of pieces seen before.
 */
export function llama3Count(text: string, bos = true): number {
  let n = bos ? 1 : 0;
  let last = 0;
  const countPieces = (segment: string): void => {
    for (const m of segment.matchAll(PRETOKEN)) {
      n += pieceCount(m[0]);
    }
  };
  for (const m of text.matchAll(SPECIAL)) {
    countPieces(text.slice(last, m.index));
    n++;
    last = m.index + m[0].length;
  }
  countPieces(last ? text.slice(last) : text);
  return n;
}

export function tokenCounter(profile: ModelProfile): TokenCounter {
  return { kind: exactTextTokens(profile) ? 'exact' : 'estimate', count: (text) => llama3Count(text, true) };
}
