/**
 * "T2Vid: Assemble Training Set…": a short quick-pick flow (sources, counts or ratio, how synthetic samples are chosen,
 * model profile, format, output) that writes a reusable `*.t2vid-assemble.json` in the workspace — the same file
 * `t2vid assemble CONFIG` runs on a cluster — then runs it with a cancellable progress notification.
 * "T2Vid: Run Assemble Config" runs a saved one. Preflight problems of the export go to the Problems panel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readAssembleConfig, runAssemble, writeAssembleConfig, type AssembleSummary } from '../../core/assemble/config';
import { DEFAULT_VIDEO_FRAMES } from '../../core/assemble/mix';
import {
  ASSEMBLE_CONFIG_SUFFIX,
  ASSEMBLE_CONFIG_VERSION,
  MIX_SELECT_MODES,
  type AssembleConfig,
  type MixSelectMode,
} from '../../shared/assemble';
import {
  DEFAULT_MODEL_PROFILE,
  EXPORT_FORMATS,
  MODEL_PROFILES,
  type ExportFormat,
  type ModelProfile,
  type ModelProfileId,
} from '../../shared/profiles';
import { withAbortSignal } from '../common/cancellation';
import type { PreflightProblems } from './preflightProblems';

const STEPS = 7;
const EXCLUDE = '**/{node_modules,.git}/**';

interface SourceItem extends vscode.QuickPickItem {
  path?: string;
  browse?: boolean;
  none?: boolean;
}

function title(step: number, what: string): string {
  return `Assemble Training Set (${step}/${STEPS}): ${what}`;
}

/** Folders that hold a synth output (minicpm-v.json) or an assembled set (samples.jsonl + manifest.json). */
async function syntheticCandidates(): Promise<SourceItem[]> {
  const [synth, sets] = await Promise.all([
    vscode.workspace.findFiles('**/minicpm-v.json', EXCLUDE, 500),
    vscode.workspace.findFiles('**/samples.jsonl', EXCLUDE, 500),
  ]);
  const items: SourceItem[] = [];
  for (const uri of synth) {
    items.push({
      label: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)),
      description: 't2vid synth output',
      path: path.dirname(uri.fsPath),
    });
  }
  for (const uri of sets) {
    const dir = path.dirname(uri.fsPath);
    if (fs.existsSync(path.join(dir, 'manifest.json')) && !dir.endsWith(`${path.sep}mix`)) {
      items.push({ label: vscode.workspace.asRelativePath(dir), description: 'assembled set', path: dir });
    }
  }
  return items.sort((a, b) => a.label.localeCompare(b.label));
}

async function videoCandidates(): Promise<SourceItem[]> {
  const files = await vscode.workspace.findFiles('**/video-samples.jsonl', EXCLUDE, 500);
  return files
    .map((uri) => ({
      label: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)),
      description: 't2vid extract-frames output',
      path: path.dirname(uri.fsPath),
    }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

async function browse(folders: boolean, what: string): Promise<string[] | undefined> {
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: true,
    canSelectFiles: !folders,
    canSelectFolders: folders,
    openLabel: what,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return chosen?.map((u) => u.fsPath);
}

async function pickSources(step: number, what: string, candidates: SourceItem[], optional: boolean): Promise<string[] | undefined> {
  const items: SourceItem[] = [
    ...candidates,
    ...(optional ? [{ label: '$(circle-slash) None', none: true }] : []),
    { label: '$(folder-opened) Browse…', browse: true },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: title(step, what),
    placeHolder: candidates.length ? 'Select one or more (Space), then Enter' : 'None found in the workspace: Browse…',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!picked) {
    return undefined;
  }
  if (picked.some((p) => p.none)) {
    return [];
  }
  const paths = picked.filter((p) => p.path).map((p) => p.path!);
  if (picked.some((p) => p.browse)) {
    const more = await browse(true, 'Use as source');
    if (!more) {
      return undefined;
    }
    paths.push(...more);
  }
  return paths;
}

/** `0.33` (the synthetic share) or `10000, 20000` (synthetic, video counts). */
export function parseAmounts(text: string): Pick<AssembleConfig, 'ratio' | 'countSynthetic' | 'countVideo'> | string {
  const t = text.trim();
  const pair = /^(\d+)\s*[,;/ ]\s*(\d+)$/.exec(t);
  if (pair) {
    return { countSynthetic: Number(pair[1]), countVideo: Number(pair[2]) };
  }
  const r = Number(t);
  if (t !== '' && r >= 0 && r < 1) {
    return { ratio: r };
  }
  return 'A synthetic share 0 ≤ R < 1 (e.g. 0.33), or two counts "synthetic, video" (e.g. 10000, 20000)';
}

async function askConfig(workspace: vscode.WorkspaceFolder): Promise<{ config: AssembleConfig; file: string } | undefined> {
  const synthetic = await pickSources(1, 'synthetic samples', await syntheticCandidates(), false);
  if (!synthetic) {
    return undefined;
  }
  const video = await pickSources(2, 'real video samples', await videoCandidates(), true);
  if (!video) {
    return undefined;
  }
  if (!synthetic.length && !video.length) {
    void vscode.window.showWarningMessage('T2Vid: choose at least one source.');
    return undefined;
  }
  const amounts = await vscode.window.showInputBox({
    title: title(3, 'how many'),
    prompt: video.length
      ? 'The synthetic share of the set with every video sample (e.g. 0.33), or counts "synthetic, video" (e.g. 10000, 20000)'
      : 'Counts "synthetic, video" (e.g. 10000, 0)',
    value: video.length ? '0.33' : '1000, 0',
    ignoreFocusOut: true,
    validateInput: (v) => {
      const a = parseAmounts(v);
      return typeof a === 'string' ? a : undefined;
    },
  });
  if (amounts === undefined) {
    return undefined;
  }
  const parsed = parseAmounts(amounts) as Exclude<ReturnType<typeof parseAmounts>, string>;
  const select = await vscode.window.showQuickPick(
    MIX_SELECT_MODES.map((m) => ({
      label: m === 'random' ? 'At random (seeded)' : 'For instruction diversity',
      detail:
        m === 'random'
          ? 'A uniform random choice; the same seed gives the same set'
          : 'Greedy Vendi gain of their instructions against the chosen video samples’ (built-in word vectors)',
      mode: m,
    })),
    { title: title(4, 'how synthetic samples are chosen'), ignoreFocusOut: true },
  );
  if (!select) {
    return undefined;
  }
  const profile = await vscode.window.showQuickPick(
    (MODEL_PROFILES as readonly ModelProfile[]).map((p) => ({
      label: p.label,
      description: p.id === DEFAULT_MODEL_PROFILE ? `${p.id} (T2Vid’s)` : p.id,
      detail: [
        p.frameLimit ? `≤ ${p.frameLimit} frames` : 'no frame limit',
        `${p.tokensPerFrame} visual tokens a frame`,
        p.tokenBudget ? `${p.tokenBudget.toLocaleString('en-US')}-token budget` : 'no token budget',
      ].join(', '),
      id: p.id,
    })),
    { title: title(5, 'the model whose limits apply'), ignoreFocusOut: true },
  );
  if (!profile) {
    return undefined;
  }
  const format = await vscode.window.showQuickPick(
    EXPORT_FORMATS.map((f) => ({ label: f })),
    { title: title(6, 'the trainer’s format'), ignoreFocusOut: true },
  );
  if (!format) {
    return undefined;
  }
  const name = await vscode.window.showInputBox({
    title: title(7, 'output folder, in the workspace'),
    prompt: 'The mix goes to OUT/mix, the export to OUT/<format>; the assembly is saved beside it as OUT.t2vid-assemble.json',
    value: `training-sets/${format.label}-${new Date().toISOString().slice(0, 10)}`,
    ignoreFocusOut: true,
    validateInput: (v) =>
      v.trim() === '' || path.isAbsolute(v) || v.split(/[\\/]/).includes('..') ? 'A folder inside the workspace' : undefined,
  });
  if (!name) {
    return undefined;
  }
  const out = path.join(workspace.uri.fsPath, name.trim());
  const config: AssembleConfig = {
    version: ASSEMBLE_CONFIG_VERSION,
    synthetic,
    video,
    ...parsed,
    videoFrames: DEFAULT_VIDEO_FRAMES,
    select: select.mode as MixSelectMode,
    seed: 1,
    profile: profile.id as ModelProfileId,
    format: format.label as ExportFormat,
    frames: 'reference',
    out,
  };
  return { config, file: `${out}${ASSEMBLE_CONFIG_SUFFIX}` };
}

async function run(
  config: AssembleConfig,
  file: string,
  problems: PreflightProblems,
  log: vscode.LogOutputChannel,
): Promise<AssembleSummary | undefined> {
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Assembling ${path.basename(file)}`, cancellable: true },
    (progress, token) =>
      withAbortSignal(token, (signal) =>
        runAssemble(config, path.dirname(file), {
          signal,
          onProgress: (p) => progress.report({ message: `${p.phase}: ${p.message}` }),
          onIssue: (issue) => log.warn(`${issue.file}:${issue.line}: ${issue.message}`),
        }),
      ).catch((e: Error) => {
        if (e.message === 'cancelled' || token.isCancellationRequested) {
          void vscode.window.showInformationMessage('T2Vid: assembly cancelled; nothing half-written was kept.');
          return undefined;
        }
        throw e;
      }),
  );
  if (!summary) {
    return undefined;
  }
  const n = summary.preflight ? problems.show(summary.preflight) : 0;
  const e = summary.exportSummary;
  log.info(`assembled ${file}: ${e.written} of ${e.read} samples → ${e.file}${summary.reused ? ' (mix reused)' : ''}`);
  const message = `T2Vid: ${e.written.toLocaleString('en-US')} samples exported for ${e.format} → ${vscode.workspace.asRelativePath(e.file ?? summary.exportDir)}${
    n ? `; preflight found ${n} problem${n === 1 ? '' : 's'}` : '; preflight passed'
  }.`;
  const actions = n ? ['Show Problems', 'Open Export', 'Reveal in Explorer'] : ['Open Export', 'Reveal in Explorer'];
  void (n ? vscode.window.showWarningMessage(message, ...actions) : vscode.window.showInformationMessage(message, ...actions)).then(
    async (choice) => {
      if (choice === 'Show Problems') {
        await vscode.commands.executeCommand('workbench.actions.view.problems');
      } else if (choice === 'Open Export' && e.file) {
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(e.file));
      } else if (choice === 'Reveal in Explorer') {
        await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(e.file ?? summary.exportDir));
      }
    },
  );
  return summary;
}

export async function assembleTrainingSet(problems: PreflightProblems, log: vscode.LogOutputChannel): Promise<AssembleSummary | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('T2Vid: assembling writes files: trust this workspace first.');
    return undefined;
  }
  const workspace = vscode.workspace.workspaceFolders?.[0];
  if (!workspace) {
    void vscode.window.showWarningMessage('T2Vid: open a folder first: the assembly is saved in the workspace.');
    return undefined;
  }
  const asked = await askConfig(workspace);
  if (!asked) {
    return undefined;
  }
  await fs.promises.mkdir(path.dirname(asked.file), { recursive: true });
  await writeAssembleConfig(asked.file, asked.config, workspace.uri.fsPath);
  log.info(`saved ${asked.file} (run it anywhere with: t2vid assemble ${asked.file})`);
  return run(await readAssembleConfig(asked.file), asked.file, problems, log);
}

export async function runAssembleConfig(
  problems: PreflightProblems,
  log: vscode.LogOutputChannel,
  target?: vscode.Uri,
): Promise<AssembleSummary | undefined> {
  let uri = target;
  if (!uri) {
    const files = await vscode.workspace.findFiles(`**/*${ASSEMBLE_CONFIG_SUFFIX}`, EXCLUDE, 500);
    const pick = await vscode.window.showQuickPick(
      files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
      { title: 'Run which assembly?', placeHolder: files.length ? undefined : `No *${ASSEMBLE_CONFIG_SUFFIX} in the workspace` },
    );
    uri = pick?.uri;
  }
  if (!uri) {
    return undefined;
  }
  return run(await readAssembleConfig(uri.fsPath), uri.fsPath, problems, log);
}
