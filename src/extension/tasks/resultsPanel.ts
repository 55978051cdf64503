/**
 * "T2Vid: Compare Results": a webview panel with every evaluated run of the workspace side by side — lmms-eval's
 * `*_results.json` and T2Vid's own bench_results —, per benchmark and sub-task, the paper's numbers as reference
 * rows, deltas against a baseline chosen in the view, sortable, each sweep as one table and one plot; Export CSV /
 * Export Markdown write what the view shows (a save dialog, written atomically). The panel follows the results files
 * (a FileSystemWatcher) and refreshes when one changes. One panel: running the command again reveals it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  compareRuns,
  comparisonCsv,
  comparisonMarkdown,
  readRunResults,
  resultsTable,
  sweepMarkdown,
  uniqueNames,
  type RunResults,
} from '../../core/tasks/results';
import { writeFileAtomic } from '../../core/util/fsutil';
import { parseFromWebview, type FromWebview, type ResultsTable, type ToWebview } from '../../shared/protocol/results';
import { RUN_FILE } from '../../shared/tasks';
import { webviewHtml } from '../common/webviewHtml';

export const RESULTS_VIEW_TYPE = 't2vid.results';

/** What the panel looks for, as globs (also what its empty state says). */
const LMMS_GLOB = '**/*_results.json';
const BENCH_GLOB = '**/bench_results/*/*/results/*.jsonl';
const RUN_GLOB = `**/${RUN_FILE}`;
const EXCLUDE = '**/{node_modules,.git,checkpoint-*}/**';
const MAX_FILES = 5000;
/** Quiet time after a results file changes before the table is read again. */
const REFRESH_DELAY_MS = 400;
/** Folders watched one by one at most (the rest rely on the recursive watchers). */
const MAX_FOLDER_WATCHERS = 500;

/** The nearest folder from `dir` up to `top` that holds a run record. */
function runFolderOf(dir: string, top: string): string | undefined {
  for (let d = dir; d.startsWith(top) && d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, RUN_FILE))) {
      return d;
    }
  }
  return undefined;
}

/**
 * The run folders of the workspace: a results file's nearest folder with a run record, else lmms-eval's
 * `<output_path>` (the results file's grandparent) or the bench_results experiment folder; and every run record's
 * folder (a t2vid-eval run's results live in T2Vid's checkout, named by its record).
 */
async function runFolders(): Promise<string[]> {
  const [lmms, bench, records] = await Promise.all(
    [LMMS_GLOB, BENCH_GLOB, RUN_GLOB].map((glob) => vscode.workspace.findFiles(glob, EXCLUDE, MAX_FILES)),
  );
  const folders = new Set<string>();
  const topOf = (f: vscode.Uri): string => vscode.workspace.getWorkspaceFolder(f)?.uri.fsPath ?? '/';
  // Never above the workspace folder (a results file at its top would name the folder above it).
  const within = (dir: string, top: string, fallback: string): string => (dir.startsWith(top) ? dir : fallback);
  for (const f of lmms!) {
    const top = topOf(f);
    folders.add(runFolderOf(path.dirname(f.fsPath), top) ?? within(path.dirname(path.dirname(f.fsPath)), top, path.dirname(f.fsPath)));
  }
  for (const f of bench!) {
    const exp = path.dirname(path.dirname(path.dirname(f.fsPath)));
    folders.add(runFolderOf(exp, topOf(f)) ?? exp);
  }
  for (const f of records!) {
    folders.add(path.dirname(f.fsPath));
  }
  return [...folders].sort();
}

let current: ResultsPanel | undefined;

/** The command; from the Runs view, `run` is the run it was invoked on (preselected as the baseline). */
export function showResults(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, runOutput?: string): void {
  if (current) {
    current.reveal(runOutput);
    return;
  }
  current = new ResultsPanel(context, log, runOutput);
}

class ResultsPanel {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private runs: RunResults[] = [];
  private table: ResultsTable | undefined;
  /** The baseline to preselect, sent once (the run the view was opened from); then the view's own choice stands. */
  private pendingBaseline: string | undefined;
  /** Reads started: only the latest one's table is shown. */
  private loads = 0;
  /** The webview listens (it posted results/ready). */
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Watchers of the folders the shown results were read from (see watchFolders). */
  private folderWatchers: vscode.Disposable[] = [];
  private loading: Promise<void> | undefined;
  private disposed = false;

  constructor(
    context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private runOutput?: string,
  ) {
    this.panel = vscode.window.createWebviewPanel(RESULTS_VIEW_TYPE, 'Evaluation Results', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
    });
    this.panel.webview.html = webviewHtml(this.panel.webview, context.extensionUri, 'results', 'Evaluation results');
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((raw) => {
        const message = parseFromWebview(raw);
        if (!message) {
          this.log.warn(`results view: ignored an invalid message ${JSON.stringify(raw)?.slice(0, 200)}`);
          return;
        }
        void this.handle(message).catch((e: Error) => {
          this.log.error(e.stack ?? String(e));
          void vscode.window.showErrorMessage(`T2Vid: ${e.message}`);
        });
      }),
    );
    // New runs anywhere in the workspace: recursive watchers.
    for (const glob of [LMMS_GLOB, '**/bench_results/**/*.jsonl', RUN_GLOB]) {
      this.disposables.push(...this.watch(glob));
    }
    this.panel.onDidDispose(() => {
      this.disposed = true;
      clearTimeout(this.timer);
      for (const d of [...this.disposables, ...this.folderWatchers]) {
        d.dispose();
      }
      if (current === this) {
        current = undefined;
      }
    });
    this.loading = this.load();
  }

  private watch(pattern: vscode.GlobPattern): vscode.Disposable[] {
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const later = (uri: vscode.Uri): void => {
      this.log.info(`results: ${vscode.workspace.asRelativePath(uri)} changed`);
      this.refreshSoon();
    };
    return [watcher, watcher.onDidCreate(later), watcher.onDidChange(later), watcher.onDidDelete(later)];
  }

  /**
   * One non-recursive watcher per folder the shown results come from (lmms-eval's model folders, bench_results'
   * `results/` folders, the run folders with their records): a new or rewritten results file of a run shown is
   * seen even where the workspace's recursive watcher reports nothing (it can be unavailable: inotify limits, some
   * remote setups).
   */
  private watchFolders(runs: readonly RunResults[]): void {
    for (const d of this.folderWatchers) {
      d.dispose();
    }
    const patterns = new Map<string, string>();
    for (const r of runs) {
      patterns.set(`${r.dir}\0${RUN_FILE}`, RUN_FILE);
      for (const f of r.files) {
        const glob = f.endsWith('.jsonl') ? '*.jsonl' : '*_results.json';
        patterns.set(`${path.dirname(f)}\0${glob}`, glob);
      }
    }
    this.folderWatchers = [...patterns]
      .slice(0, MAX_FOLDER_WATCHERS)
      .flatMap(([key, glob]) => this.watch(new vscode.RelativePattern(vscode.Uri.file(key.slice(0, key.indexOf('\0'))), glob)));
  }

  reveal(runOutput?: string): void {
    this.runOutput = runOutput;
    this.panel.reveal();
    void this.load();
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(), REFRESH_DELAY_MS);
  }

  private async load(): Promise<void> {
    const seq = ++this.loads;
    const errors: string[] = [];
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const folders = await runFolders();
    const runs = uniqueNames(
      folders.map((dir) => readRunResults(dir, (m) => errors.push(m))).filter((r) => r.scores.length > 0),
      root,
    );
    if (seq !== this.loads || this.disposed) {
      return; // a later read is under way: its table is the one to show
    }
    for (const e of errors) {
      this.log.warn(`results: ${e}`);
    }
    this.log.info(`results: ${runs.length} evaluated runs of ${folders.length} folders`);
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const where = roots.length ? roots.join(', ') : 'the workspace (no folder is open)';
    this.runs = runs;
    this.watchFolders(runs);
    this.table = resultsTable(runs, {
      ...(root ? { relativeTo: root } : {}),
      searched: [
        `lmms-eval results: ${LMMS_GLOB} under ${where}`,
        `T2Vid run_bench.sh results: bench_results/<EXP>/{video-mme,mvbench,temp-compass}/results/merge.jsonl under ${where}`,
        `t2vid-eval runs (their ${RUN_FILE}): bench_results/<EXP> in the T2Vid checkout the run names (EXP: the output folder's name, <fine-tune>-eval for a sweep's evaluation)`,
      ],
      errors: errors.slice(0, 1000),
    });
    if (this.runOutput !== undefined) {
      this.pendingBaseline = runs.find((r) => r.dir === path.resolve(this.runOutput!))?.name;
      this.runOutput = undefined;
    }
    this.show();
  }

  private show(): void {
    if (this.disposed || !this.ready || !this.table) {
      return;
    }
    const message: ToWebview = {
      type: 'results/state',
      table: this.table,
      ...(this.pendingBaseline ? { baseline: this.pendingBaseline } : {}),
    };
    this.pendingBaseline = undefined;
    void this.panel.webview.postMessage(message);
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'results/ready':
        await this.loading;
        this.ready = true;
        this.show();
        return;
      case 'results/refresh':
        return this.load();
      case 'results/export':
        return this.export(message.format, message.order, message.baseline);
    }
  }

  private async export(format: 'csv' | 'markdown', order: string[], baseline: string | undefined): Promise<void> {
    const byName = new Map(this.runs.map((r) => [r.name, r]));
    const runs = order.map((name) => byName.get(name)).filter((r): r is RunResults => r !== undefined);
    if (!runs.length) {
      return;
    }
    const comparison = compareRuns(runs, baseline !== undefined && byName.has(baseline) ? baseline : undefined);
    let text: string;
    if (format === 'csv') {
      text = comparisonCsv(comparison);
    } else {
      const table = resultsTable(runs);
      const sweeps = table.sweeps.map((s) => sweepMarkdown(table, s)).join('\n');
      text = `# Evaluation results\n\n${comparisonMarkdown(comparison)}${sweeps ? `\n${sweeps}` : ''}`;
    }
    const csv = format === 'csv';
    const target = await vscode.window.showSaveDialog({
      title: csv ? 'T2Vid: Export Results as CSV' : 'T2Vid: Export Results as Markdown',
      defaultUri: vscode.Uri.joinPath(
        vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(runs[0]!.dir)),
        csv ? 'results.csv' : 'results.md',
      ),
      filters: csv ? { CSV: ['csv'] } : { Markdown: ['md'] },
    });
    if (!target) {
      return;
    }
    await writeFileAtomic(target.fsPath, text);
    void vscode.window.showInformationMessage(`T2Vid: wrote ${path.basename(target.fsPath)}`);
  }
}
