/**
 * "T2Vid: Fine-tune…" and "T2Vid: Evaluate…": short quick-pick flows that write a reusable `t2vid` entry into the
 * folder's tasks.json (existing entries kept) and run it, so the same run is one "Tasks: Run Task" away afterwards.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TASK_TARGETS, TASK_TYPE, type TaskFramework, type TaskKind, type TaskTarget } from '../../shared/tasks';
import { validateTaskSpec } from '../../core/tasks/engine';

const FRAMEWORKS: Record<TaskKind, Array<{ id: TaskFramework; detail: string }>> = {
  finetune: [
    { id: 'ms-swift', detail: 'swift sft — trains T2Vid’s backbones (minicpmv2_5, idefics3) and Qwen-VL' },
    { id: 't2vid-minicpmv', detail: 'T2Vid’s MiniCPM-V/finetune/finetune.py under torchrun + DeepSpeed ZeRO-3' },
    { id: 't2vid-idefics3', detail: 'T2Vid’s Idefics3/finetune/finetune.py under torchrun + DeepSpeed ZeRO-3' },
    { id: 'llamafactory', detail: 'llamafactory-cli train with a generated YAML (Qwen2-VL, InternVL; not T2Vid’s backbones)' },
    { id: 'custom', detail: 'your own command, as an argument array' },
  ],
  eval: [
    { id: 'lmms-eval', detail: 'accelerate launch -m lmms_eval (Video-MME, MVBench, TempCompass, MLVU); resumable with --use_cache' },
    { id: 't2vid-eval', detail: 'T2Vid’s run_bench.sh (bench_results/)' },
    { id: 'custom', detail: 'your own command, as an argument array' },
  ],
};

const EXPORT_GLOB = '**/{ms-swift.jsonl,minicpm-v.json,idefics3.json,t2vid_synth.json,llava-video.json,internvl.jsonl}';

/** Host aliases of ~/.ssh/config (no wildcards). */
function sshHosts(): string[] {
  try {
    const text = fs.readFileSync(path.join(os.homedir(), '.ssh', 'config'), 'utf8');
    return [...text.matchAll(/^\s*Host\s+(.+)$/gim)].flatMap((m) => m[1]!.split(/\s+/)).filter((h) => h && !/[*?!]/.test(h));
  } catch {
    return [];
  }
}

/** `python3 train.py --x "a b"` → argv (double quotes group words; backslash escapes). */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      any = true;
    } else if (c === '"') {
      quoted = !quoted;
      any = true;
    } else if (/\s/.test(c) && !quoted) {
      if (any) {
        out.push(cur);
      }
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) {
    out.push(cur);
  }
  return out;
}

async function input(title: string, prompt: string, value = '', validate?: (v: string) => string | undefined): Promise<string | undefined> {
  return vscode.window.showInputBox({ title, prompt, value, ignoreFocusOut: true, validateInput: validate });
}

export async function taskFlow(kind: TaskKind): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showWarningMessage('T2Vid: open a folder first: the task is saved in its .vscode/tasks.json.');
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('T2Vid: running a task needs a trusted workspace.');
    return;
  }
  const verb = kind === 'finetune' ? 'Fine-tune' : 'Evaluate';
  const title = (step: string): string => `T2Vid: ${verb} (${step})`;
  const fw = await vscode.window.showQuickPick(
    FRAMEWORKS[kind].map((f) => ({ label: f.id, detail: f.detail })),
    { title: title('framework'), ignoreFocusOut: true },
  );
  if (!fw) {
    return;
  }
  const framework = fw.label as TaskFramework;
  const target = await vscode.window.showQuickPick(
    TASK_TARGETS.map((t) => ({
      label: t,
      detail:
        t === 'local'
          ? 'a process group on this machine (the workspace’s machine: remote over Remote-SSH)'
          : t === 'ssh'
            ? 'a detached job on an SSH host: the dataset rsynced, the log streamed back, reattached after a reload'
            : 'an sbatch job: submitted, followed by job id with its log, scancelled when the task is terminated',
    })),
    { title: title('where'), ignoreFocusOut: true },
  );
  if (!target) {
    return;
  }
  const entry: Record<string, unknown> = { type: TASK_TYPE, kind, framework, target: target.label as TaskTarget };
  if (kind === 'finetune') {
    const exports = await vscode.workspace.findFiles(EXPORT_GLOB, '**/node_modules/**', 500);
    const pick = await vscode.window.showQuickPick(
      [
        ...exports.map((u) => ({ label: vscode.workspace.asRelativePath(u), path: vscode.workspace.asRelativePath(u) })),
        { label: '$(folder-opened) Browse…', path: '' },
      ],
      { title: title('dataset: an export of Assemble Training Set / t2vid export'), ignoreFocusOut: true },
    );
    if (!pick) {
      return;
    }
    const dataset = pick.path || (await vscode.window.showOpenDialog({ canSelectMany: false }))?.[0]?.fsPath;
    if (!dataset) {
      return;
    }
    entry.dataset = dataset;
  }
  if (framework === 'lmms-eval') {
    const b = await input(title('benchmarks'), 'lmms-eval task names, comma-separated', 'videomme,mvbench,tempcompass', (v) =>
      /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(v.trim()) ? undefined : 'e.g. videomme,mvbench',
    );
    if (!b) {
      return;
    }
    entry.benchmarks = b.trim().split(',');
  }
  if (framework === 'custom') {
    const c = await input(
      title('command'),
      'The command and its arguments (double quotes group words); run in the output folder',
      '',
      (v) => (splitCommand(v).length ? undefined : 'a command'),
    );
    if (!c) {
      return;
    }
    entry.command = splitCommand(c);
  } else {
    const m = await input(
      title('model'),
      kind === 'finetune' ? 'Base model: a path or hub id' : 'The checkpoint to evaluate',
      kind === 'finetune' ? 'OpenBMB/MiniCPM-Llama3-V-2_5' : '',
    );
    if (!m) {
      return;
    }
    entry.model = m;
  }
  if (framework.startsWith('t2vid-')) {
    const repo = await input(title('T2Vid checkout'), 'The folder of your xjtupanda/T2Vid checkout', '');
    if (!repo) {
      return;
    }
    entry.repo = repo;
  }
  if (entry.target === 'ssh') {
    const hosts = sshHosts();
    const host = hosts.length
      ? await vscode.window.showQuickPick(hosts, { title: title('SSH host (~/.ssh/config)'), ignoreFocusOut: true })
      : await input(title('SSH host'), 'A host alias or user@host');
    const workdir = host && (await input(title('remote work folder'), 'The folder on the host for data and outputs', '/scratch/t2vid'));
    if (!host || !workdir) {
      return;
    }
    entry.ssh = { host, workdir, sync: 'rsync' };
  }
  if (entry.target === 'slurm') {
    const shape = await input(title('nodes × GPUs'), 'Nodes and GPUs per node, e.g. 2x8', '1x8', (v) =>
      /^\d+\s*x\s*\d+$/i.test(v.trim()) ? undefined : 'e.g. 2x8',
    );
    const partition = shape && (await input(title('partition'), 'Slurm partition (empty: the default)', ''));
    if (!shape || partition === undefined) {
      return;
    }
    const [nodes, gpus] = shape
      .toLowerCase()
      .split('x')
      .map((n) => Number(n.trim()));
    entry.slurm = { nodes, gpusPerNode: gpus, via: 'local', ...(partition ? { partition } : {}) };
  }
  const output = await input(
    title('output folder'),
    'Checkpoints, results and the run’s log (relative to the workspace folder)',
    `runs/${kind}-${framework}-${new Date().toISOString().slice(0, 10)}`,
  );
  if (!output) {
    return;
  }
  entry.output = output;
  const label = `t2vid: ${kind} ${framework} → ${output}`;
  entry.label = label;
  validateTaskSpec(entry, 'the new task');
  // A training log has no compiler problems to scan; without this VS Code asks for a problem matcher first.
  entry.problemMatcher = [];
  const config = vscode.workspace.getConfiguration('tasks', folder.uri);
  const tasks = (config.get<unknown[]>('tasks') ?? []).filter((t) => (t as { label?: string }).label !== label);
  if (!config.get('version')) {
    await config.update('version', '2.0.0', vscode.ConfigurationTarget.WorkspaceFolder);
  }
  await config.update('tasks', [...tasks, entry], vscode.ConfigurationTarget.WorkspaceFolder);
  const task = (await vscode.tasks.fetchTasks({ type: TASK_TYPE })).find((t) => t.name === label);
  if (!task) {
    void vscode.window.showWarningMessage(`T2Vid: saved "${label}" in tasks.json; run it with Tasks: Run Task.`);
    return;
  }
  await vscode.tasks.executeTask(task);
}
