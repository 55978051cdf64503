/**
 * The Runs view (T2Vid container): every run recorded under the workspace folders (`.t2vid-run.json` beside each
 * output), with its state, target, elapsed time and last log line, kept current by a file watcher. Runs this window
 * follows can be cancelled through their AbortController; runs found running after a restart are reattached.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cancelRun, findRuns, reattachRun } from '../../core/tasks/engine';
import { FINAL_RUN_STATES, RUN_FILE, type RunRecord, type RunState } from '../../shared/tasks';

const ICONS: Record<RunState, [string, string | undefined]> = {
  queued: ['clock', undefined],
  running: ['sync~spin', 'charts.blue'],
  done: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
};

export function elapsed(run: RunRecord, now = Date.now()): string {
  const start = Date.parse(run.startedAt ?? run.createdAt);
  const end = run.endedAt ? Date.parse(run.endedAt) : now;
  const s = Math.max(0, Math.round((end - start) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

export class RunsView implements vscode.TreeDataProvider<RunRecord>, vscode.Disposable {
  static readonly viewId = 't2vid.runs';
  private readonly changed = new vscode.EventEmitter<RunRecord | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: RunRecord[] = [];
  /** Runs this window follows: their controllers cancel them. */
  private readonly followed = new Map<string, AbortController>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${RUN_FILE}`);
    const refresh = (): void => void this.refresh();
    this.disposables.push(watcher, watcher.onDidCreate(refresh), watcher.onDidChange(refresh), watcher.onDidDelete(refresh));
    void this.refresh().then(() => this.reattachOrphans());
  }

  /** Re-reads every run record under the workspace folders. */
  async refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      this.runs = await findRuns(roots, 6, (m) => this.log.warn(m));
      this.changed.fire(undefined);
      this.tick();
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** One timer refreshes elapsed times while something runs. */
  private tick(): void {
    const active = this.runs.some((r) => !FINAL_RUN_STATES.includes(r.state));
    if (active && !this.timer) {
      this.timer = setInterval(() => this.changed.fire(undefined), 1000);
    } else if (!active && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A run this window starts: its controller is kept so that Cancel reaches it. */
  follow(id: string, controller: AbortController): vscode.Disposable {
    this.followed.set(id, controller);
    return new vscode.Disposable(() => this.followed.delete(id));
  }

  /** Runs recorded as running that nobody here follows (a previous window's): follow them to their end. */
  private reattachOrphans(): void {
    for (const run of this.runs) {
      // Local runs by their process group, SSH runs by their remote one, Slurm runs by their job id (a queued job too).
      const followable =
        ((run.spec.target === 'local' || run.spec.target === 'ssh') && run.state === 'running') ||
        (run.spec.target === 'slurm' && (run.state === 'running' || run.state === 'queued') && run.jobId);
      if (followable && !this.followed.has(run.id)) {
        const controller = new AbortController();
        const done = this.follow(run.id, controller);
        this.log.info(`reattaching run ${run.id} (${run.jobId ? `Slurm job ${run.jobId}` : `pid ${run.pid}`})`);
        void reattachRun(run, { signal: controller.signal })
          .catch((e: Error) => this.log.error(`run ${run.id}: ${e.message}`))
          .finally(() => done.dispose());
      }
    }
  }

  async cancel(run: RunRecord): Promise<void> {
    const controller = this.followed.get(run.id);
    if (controller) {
      controller.abort(new Error('cancelled'));
    } else {
      await cancelRun(run);
    }
    await this.refresh();
  }

  getTreeItem(run: RunRecord): vscode.TreeItem {
    const item = new vscode.TreeItem(`${run.spec.kind} · ${run.spec.framework} · ${path.basename(run.spec.output)}`);
    const [icon, colour] = ICONS[run.state];
    item.iconPath = new vscode.ThemeIcon(icon, colour ? new vscode.ThemeColor(colour) : undefined);
    item.description = `${run.state} · ${run.spec.target} · ${elapsed(run)}${run.sweepId ? ` · sweep ${run.sweepValue}` : ''}`;
    const tip = new vscode.MarkdownString();
    tip.appendText(`${run.id}\n${run.spec.output}\n`);
    if (run.jobId) {
      tip.appendText(`Slurm job ${run.jobId}\n`);
    }
    if (run.after) {
      tip.appendText(`evaluates the fine-tune run ${run.after}\n`);
    }
    if (run.resumedFrom) {
      tip.appendText(`resumed from ${run.resumedFrom}\n`);
    }
    if (run.exitCode !== undefined) {
      tip.appendText(`exit code ${run.exitCode}\n`);
    }
    if (run.lastLine) {
      tip.appendCodeblock(run.lastLine, 'log');
    }
    item.tooltip = tip;
    item.contextValue = `t2vidRun.${run.state}`;
    item.id = run.id;
    item.command = { command: 't2vid.runs.openLog', title: 'Open Log', arguments: [run] };
    return item;
  }

  getChildren(element?: RunRecord): RunRecord[] {
    return element ? [] : this.runs;
  }

  dispose(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
    this.disposables.forEach((d) => d.dispose());
  }
}
