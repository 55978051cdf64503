/**
 * Model profiles, defined once: the Frames view's token estimate, the settings' enum (package.json, tied by a unit
 * test), and the training-set filters to come read them from here. Visual tokens per 448×448 frame as
 * ../shared/FORMATS.md "Visual tokens per frame" gives them. No imports: the webview bundles include this file.
 */

export interface ModelProfile {
  id: string;
  label: string;
  tokensPerFrame: number;
  /** Estimate, not an exact count (e.g. pairing of video frames, pooling). */
  note: string;
}

export const MODEL_PROFILES = [
  { id: 'minicpm-v-2.5', label: 'MiniCPM-Llama3-V 2.5', tokensPerFrame: 96, note: '96 per frame with --max_slice_nums 1 (T2Vid)' },
  { id: 'idefics3', label: 'Idefics3-8B', tokensPerFrame: 169, note: '169 per frame with do_image_splitting=False (T2Vid)' },
  { id: 'qwen2-vl', label: 'Qwen2 / Qwen2.5-VL (video)', tokensPerFrame: 128, note: '256 per 2 frames at 448×448 (temporal patch 2)' },
  { id: 'internvl2.5', label: 'InternVL2.5 (video)', tokensPerFrame: 256, note: '256 per 448 tile, one tile per video frame' },
  { id: 'llava-video', label: 'LLaVA-Video-7B', tokensPerFrame: 182, note: '169 pooled + 13 newline tokens per frame (average pooling)' },
] as const satisfies readonly ModelProfile[];

export type ModelProfileId = (typeof MODEL_PROFILES)[number]['id'];
export const MODEL_PROFILE_IDS: readonly ModelProfileId[] = MODEL_PROFILES.map((p) => p.id);
export const DEFAULT_MODEL_PROFILE: ModelProfileId = 'minicpm-v-2.5';

export function modelProfile(id: string): ModelProfile | undefined {
  return MODEL_PROFILES.find((p) => p.id === id);
}

/** Estimated visual tokens for `frames` frames under `profile`. */
export function visualTokens(frames: number, profile: ModelProfile): number {
  return frames * profile.tokensPerFrame;
}
