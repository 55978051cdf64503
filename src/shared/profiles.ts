/**
 * Model profiles, defined once: the Frames view's token estimate, the settings' enum (package.json, tied by a unit
 * test), and the training-set filters and exporters (src/core/assemble) read them from here. Visual tokens per
 * 448×448 frame, frame limits, context budgets and first-turn limits exactly as ../shared/FORMATS.md ("Visual tokens
 * per frame", the MiniCPM-V and Idefics3 sections and the 2026-11-28 corrections) gives them; a limit FORMATS.md does
 * not give is left undefined (no filter unless --max-frames / --token-budget asks for one). No imports: the webview
 * bundles include this file.
 */

/** How a sample's frames reach the model: as a video (frames pooled/paired) or as a list of images. */
export type VisualInput = 'video' | 'images';

/** The tokenizer a profile's text is counted with; only `llama3` is counted exactly (llama3-tokenizer-js). */
export type TokenizerId = 'llama3' | 'qwen2' | 'internlm2.5';

export interface ModelProfile {
  id: string;
  label: string;
  /** Visual tokens per frame when the frames are given as a video (the Frames view's estimate). */
  tokensPerFrame: number;
  /** Visual tokens per frame when the frames are given as a list of images (T2Vid's own trainers: the same). */
  imageTokensPerFrame: number;
  /** Video frames are paired temporally (Qwen2-VL temporal patch 2): the frame count is rounded up to even. */
  pairFrames?: boolean;
  /** Tokens around each visual input (Qwen2-VL `<|vision_start|>`/`<|vision_end|>`): per video, or per image. */
  wrapperTokens?: number;
  /** Most frames a sample may have (T2Vid's filter scripts). */
  frameLimit?: number;
  /** Context budget: text tokens (all turns, BOS) + visual tokens must not exceed it (T2Vid's filter scripts). */
  tokenBudget?: number;
  /** The first user turn must have fewer words than this (words = split on spaces, as the filter scripts). */
  firstTurnWordLimit?: number;
  tokenizer: TokenizerId;
  /** The Hugging Face tokenizer the filter scripts load (documentation; nothing is downloaded). */
  tokenizerModel: string;
  /** Where the figures differ by input kind or are estimates (pairing of video frames, pooling). */
  note: string;
}

export const MODEL_PROFILES = [
  {
    id: 'minicpm-v-2.5',
    label: 'MiniCPM-Llama3-V 2.5',
    tokensPerFrame: 96,
    imageTokensPerFrame: 96,
    frameLimit: 90,
    tokenBudget: 8192,
    firstTurnWordLimit: 500,
    tokenizer: 'llama3',
    tokenizerModel: 'openbmb/MiniCPM-Llama3-V-2_5',
    note: '96 per frame with --max_slice_nums 1 (T2Vid)',
  },
  {
    id: 'idefics3',
    label: 'Idefics3-8B',
    tokensPerFrame: 169,
    imageTokensPerFrame: 169,
    frameLimit: 65,
    tokenBudget: 10240,
    firstTurnWordLimit: 500,
    tokenizer: 'llama3',
    tokenizerModel: 'HuggingFaceM4/Idefics3-8B-Llama3',
    note: '169 per frame with do_image_splitting=False (T2Vid)',
  },
  {
    id: 'qwen2-vl',
    label: 'Qwen2 / Qwen2.5-VL (video)',
    tokensPerFrame: 128,
    imageTokensPerFrame: 256,
    pairFrames: true,
    wrapperTokens: 2,
    tokenizer: 'qwen2',
    tokenizerModel: 'Qwen/Qwen2-VL-7B-Instruct',
    note: '256 per 2 frames at 448×448 (temporal patch 2)',
  },
  {
    id: 'internvl2.5',
    label: 'InternVL2.5 (video)',
    tokensPerFrame: 256,
    imageTokensPerFrame: 256,
    tokenizer: 'internlm2.5',
    tokenizerModel: 'OpenGVLab/InternVL2_5-8B',
    note: '256 per 448 tile, one tile per video frame',
  },
  {
    id: 'llava-video',
    label: 'LLaVA-Video-7B',
    tokensPerFrame: 182,
    imageTokensPerFrame: 730,
    tokenizer: 'qwen2',
    tokenizerModel: 'lmms-lab/LLaVA-Video-7B-Qwen2',
    note: '169 pooled + 13 newline tokens per frame (average pooling)',
  },
] as const satisfies readonly ModelProfile[];

export type ModelProfileId = (typeof MODEL_PROFILES)[number]['id'];
export const MODEL_PROFILE_IDS: readonly ModelProfileId[] = MODEL_PROFILES.map((p) => p.id);
export const DEFAULT_MODEL_PROFILE: ModelProfileId = 'minicpm-v-2.5';

export function modelProfile(id: string): ModelProfile | undefined {
  return MODEL_PROFILES.find((p) => p.id === id);
}

/**
 * Visual tokens for `frames` frames under `profile`: as a video (the default; Qwen2-VL pairs frames, so an odd count
 * is rounded up, plus its two wrapper tokens) or as a list of images (each image its own tokens and wrapper).
 */
export function visualTokens(frames: number, profile: ModelProfile, input: VisualInput = 'video'): number {
  if (frames <= 0) {
    return 0;
  }
  if (input === 'images') {
    return frames * (profile.imageTokensPerFrame + (profile.wrapperTokens ?? 0));
  }
  const counted = profile.pairFrames ? frames + (frames % 2) : frames;
  return counted * profile.tokensPerFrame + (profile.wrapperTokens ?? 0);
}

/** Whether `profile`'s text tokens are counted exactly (an offline tokenizer of its own) or estimated. */
export function exactTextTokens(profile: ModelProfile): boolean {
  return profile.tokenizer === 'llama3';
}

/** The export formats (`t2vid export --format`), one writer module each in src/core/writers. */
export const EXPORT_FORMATS = ['minicpm-v', 'idefics3', 'ms-swift', 'llamafactory', 'llava-video', 'internvl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** How an export places frames (`--frames`): referenced where they are, copied, or linked under the output folder. */
export const FRAME_MODES = ['reference', 'copy', 'link'] as const;
export type FrameMode = (typeof FRAME_MODES)[number];

/** How an export writes frame paths (`--paths`). */
export const PATH_MODES = ['absolute', 'relative'] as const;
export type PathMode = (typeof PATH_MODES)[number];
