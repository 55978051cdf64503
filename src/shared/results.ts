/**
 * The T2Vid paper's reported numbers, shown as reference rows beside a curator's own evaluations. Only numbers with
 * a source: T2Vid (arXiv 2411.19951) as summarised in DESIGN.md — Video-MME, mixing ~10K synthetic samples into 20K
 * real video samples against training on 200K video samples.
 */
export interface PaperReference {
  /** The lmms-eval task the number corresponds to. */
  task: string;
  value: number;
  setting: string;
}

export const PAPER_REFERENCE: readonly PaperReference[] = [
  { task: 'videomme', value: 53.0, setting: 'MiniCPM-Llama3-V 2.5, 10K T2Vid + 20K video samples' },
  { task: 'videomme', value: 50.8, setting: 'MiniCPM-Llama3-V 2.5, 200K video samples' },
  { task: 'videomme', value: 56.3, setting: 'Idefics3-8B, 10K T2Vid + 20K video samples' },
  { task: 'videomme', value: 53.3, setting: 'Idefics3-8B, 200K video samples' },
];
