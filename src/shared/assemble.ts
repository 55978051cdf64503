/**
 * A reusable training-set assembly: what "T2Vid: Assemble Training Set…" writes under the workspace and
 * `t2vid assemble CONFIG` rebuilds (on a cluster too). Browser-safe vocabulary; `src/core/assemble/config.ts` reads
 * and validates the file (errors name the file and the JSON path) and runs it: mix, then export (with preflight).
 * Relative paths in the file are relative to the file's own folder.
 */
import type { ExportFormat, FrameMode, ModelProfileId, PathMode } from './profiles';

/** The config file's name ending, e.g. `mix-10k.t2vid-assemble.json`. */
export const ASSEMBLE_CONFIG_SUFFIX = '.t2vid-assemble.json';
export const ASSEMBLE_CONFIG_VERSION = 1;

/** How `t2vid mix` chooses the synthetic samples: uniformly at random (seeded), or by the diversity selection. */
export const MIX_SELECT_MODES = ['random', 'diverse'] as const;
export type MixSelectMode = (typeof MIX_SELECT_MODES)[number];

export interface AssembleConfig {
  version: typeof ASSEMBLE_CONFIG_VERSION;
  /** Synthetic sources: synth output folders or files, or any dataset the readers know. */
  synthetic: string[];
  /** Real video sources: `video-samples.jsonl` of `t2vid extract-frames` (or its output folder). May be empty. */
  video: string[];
  /** Either both counts, or a synthetic share `ratio` (0..1) of all the video samples available. */
  countSynthetic?: number;
  countVideo?: number;
  ratio?: number;
  /** Frames kept per video sample (uniformly), default the profile's frame limit capped at 24. */
  videoFrames?: number;
  select: MixSelectMode;
  seed: number;
  profile: ModelProfileId;
  format: ExportFormat;
  frames: FrameMode;
  paths?: PathMode;
  maxFrames?: number;
  tokenBudget?: number;
  /** The output folder: the mix goes to `<out>/mix`, the export to `<out>/<format>`. */
  out: string;
}
