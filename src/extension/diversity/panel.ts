/**
 * "T2Vid: Show Instruction Diversity": picks the datasets (the explorer selection, the active curation editor's file,
 * or a multi-select quick pick of the workspace's dataset files; several files can be labelled as one dataset), then
 * a webview panel with the metrics table, bar charts, the verb–noun sunburst and the map. The computation runs in a
 * worker process with a cancellable progress notification; results are cached (job.ts). The panel exports
 * report.html + report.json and saves a chart as PNG.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetSpec } from '../../core/diversity/measure';
import { readReportAssets, reportHtml, reportJson } from '../../core/diversity/report';
import { fileStem } from '../../core/readers/schema';
import { writeFileAtomic } from '../../core/util/fsutil';
import { DATASET_EXTENSIONS } from '../../shared/fileTypes';
import { parseFromWebview, type DiversityResults, type FromWebview, type ToWebview } from '../../shared/protocol/diversity';
import { withAbortSignal } from '../common/cancellation';
import { webviewHtml } from '../common/webviewHtml';
import { fieldMapping } from '../config/settings';
import { cacheKey, readCached, runDiversityJob, writeCached, type DiversitySettings } from './job';

export const DIVERSITY_VIEW_TYPE = 't2vid.diversity';
/** Dataset files the quick pick lists at most. */
const MAX_PICK_FILES = 5000;

/** The command: `uri`/`uris` from the explorer (its selection) or the curation editor's title bar. */
export async function showInstructionDiversity(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  uri?: vscode.Uri,
  uris?: vscode.Uri[],
): Promise<void> {
  const picked = uris?.length ? uris : uri ? [uri] : await pickFiles();
  if (!picked?.length) {
    return;
  }
  const local = picked.filter((u) => u.scheme === 'file');
  if (!local.length) {
    void vscode.window.showWarningMessage('T2Vid: instruction diversity reads local files only');
    return;
  }
  const specs = await labelDatasets(local);
  if (!specs?.length) {
    return;
  }
  const mapping = fieldMapping(picked[0]);
  // Only the measured field is used here; a mapping without `question` leaves the defaults.
  const settings: DiversitySettings = { seed: 1, fields: mapping?.question !== undefined ? mapping : undefined };
  new DiversityPanel(context, log, specs, settings);
}

async function pickFiles(): Promise<vscode.Uri[] | undefined> {
  const glob = `**/*{${DATASET_EXTENSIONS.join(',')}}`;
  const files = await vscode.workspace.findFiles(glob, '**/node_modules/**', MAX_PICK_FILES);
  if (!files.length) {
    void vscode.window.showWarningMessage(`T2Vid: no dataset file (${DATASET_EXTENSIONS.join(', ')}) in the workspace`);
    return undefined;
  }
  files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const items = files.map((file) => ({ label: path.basename(file.fsPath), description: vscode.workspace.asRelativePath(file), file }));
  const chosen = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: 'T2Vid: Instruction Diversity — datasets to compare',
    placeHolder: 'Pick one or more dataset files',
    matchOnDescription: true,
  });
  return chosen?.map((c) => c.file);
}

/** One dataset per file (named by the file), all files as one dataset, or a name typed for each file. */
async function labelDatasets(files: vscode.Uri[]): Promise<DatasetSpec[] | undefined> {
  const paths = files.map((f) => f.fsPath);
  if (paths.length === 1) {
    return [{ label: fileStem(paths[0]!), files: paths }];
  }
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'One dataset per file', description: 'named by the file', id: 'each' },
      { label: 'All files as one dataset', id: 'one' },
      { label: 'Name each file…', description: 'files with the same name are one dataset', id: 'name' },
    ],
    { title: `T2Vid: Instruction Diversity — ${paths.length} files` },
  );
  if (!choice) {
    return undefined;
  }
  if (choice.id === 'one') {
    const label = await vscode.window.showInputBox({ title: 'Name of the dataset', value: fileStem(paths[0]!) });
    return label?.trim() ? [{ label: label.trim(), files: paths }] : undefined;
  }
  const labels: string[] = [];
  for (const file of paths) {
    const label =
      choice.id === 'each'
        ? fileStem(file)
        : await vscode.window.showInputBox({ title: `Dataset of ${path.basename(file)}`, value: fileStem(file) });
    if (label === undefined) {
      return undefined;
    }
    labels.push(label.trim() || fileStem(file));
  }
  const specs = new Map<string, DatasetSpec>();
  paths.forEach((file, i) => {
    const spec = specs.get(labels[i]!) ?? { label: labels[i]!, files: [] };
    spec.files.push(file);
    specs.set(labels[i]!, spec);
  });
  return [...specs.values()];
}

class DiversityPanel {
  private readonly panel: vscode.WebviewPanel;
  private results: DiversityResults | undefined;
  private cached = false;
  /** What the webview shows until the results come: progress or an error. */
  private status: ToWebview = { type: 'diversity/progress', text: 'Starting…' };
  private readonly cancel = new vscode.CancellationTokenSource();
  /** Closed: nothing is posted any more (closing also cancels a computation under way). */
  private disposed = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly specs: DatasetSpec[],
    private readonly settings: DiversitySettings,
  ) {
    this.panel = vscode.window.createWebviewPanel(
      DIVERSITY_VIEW_TYPE,
      `Diversity: ${specs.map((s) => s.label).join(', ')}`,
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
      },
    );
    this.panel.webview.html = webviewHtml(this.panel.webview, context.extensionUri, 'diversity', 'Instruction diversity');
    this.panel.webview.onDidReceiveMessage((raw) => {
      const message = parseFromWebview(raw);
      if (!message) {
        this.log.warn(`diversity view: ignored an invalid message ${JSON.stringify(raw)?.slice(0, 200)}`);
        return;
      }
      void this.handle(message).catch((e: Error) => {
        this.log.error(e.stack ?? String(e));
        void vscode.window.showErrorMessage(`T2Vid: ${e.message}`);
      });
    });
    this.panel.onDidDispose(() => {
      this.disposed = true;
      this.cancel.cancel();
      this.cancel.dispose();
    });
    void this.compute();
  }

  private post(message: ToWebview): void {
    if (!this.disposed) {
      void this.panel.webview.postMessage(message);
    }
  }

  private show(): void {
    this.post(this.results ? { type: 'diversity/results', results: this.results, cached: this.cached } : this.status);
  }

  private async compute(): Promise<void> {
    const cacheDir = vscode.Uri.joinPath(this.context.globalStorageUri, 'diversity-cache').fsPath;
    const names = this.specs.map((s) => s.label).join(', ');
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `T2Vid: instruction diversity of ${names}`, cancellable: true },
        (progress, token) => {
          const onCancel = token.onCancellationRequested(() => this.cancel.cancel());
          return withAbortSignal(this.cancel.token, async (signal) => {
            try {
              const started = performance.now();
              const report = (text: string): void => {
                progress.report({ message: text });
                this.status = { type: 'diversity/progress', text };
                this.show();
              };
              report('hashing the files…');
              const key = await cacheKey(this.specs, this.settings, signal);
              const cached = await readCached(cacheDir, key);
              if (cached) {
                this.log.info(`diversity: ${names} from the cache (${key.slice(0, 12)})`);
              }
              this.results = cached ?? (await runDiversityJob(this.specs, this.settings, { signal, onProgress: report }));
              this.cached = cached !== undefined;
              if (!cached) {
                this.log.info(`diversity: ${names} computed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
                await writeCached(cacheDir, key, this.results).catch((e: Error) => this.log.warn(`diversity cache: ${e.message}`));
              }
              this.show();
            } finally {
              onCancel.dispose();
            }
          });
        },
      );
    } catch (e) {
      const cancelled = (e as Error).message === 'cancelled' || (e as Error).name === 'AbortError';
      this.status = { type: 'diversity/error', text: cancelled ? 'Cancelled.' : (e as Error).message };
      this.show();
      if (!cancelled) {
        this.log.error((e as Error).stack ?? String(e));
        void vscode.window.showErrorMessage(`T2Vid: instruction diversity: ${(e as Error).message}`);
      }
    }
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'diversity/ready':
        this.show();
        return;
      case 'diversity/openPoint':
        return this.openPoint(message.point);
      case 'diversity/exportReport':
        return this.exportReport();
      case 'diversity/savePng':
        return this.savePng(message.chart, message.dataUrl);
    }
  }

  private async openPoint(index: number): Promise<void> {
    const point = this.results?.map.points[index];
    if (!point) {
      return;
    }
    if (point.unit === 'row') {
      void vscode.window.showInformationMessage(`T2Vid: ${path.basename(point.file)} is Parquet: the instruction is row ${point.line}`);
      return;
    }
    const line = Math.max(0, point.line - 1);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(point.file), {
      selection: new vscode.Range(line, 0, line, 0),
      preview: true,
      viewColumn: vscode.ViewColumn.Beside,
    });
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private defaultFolder(): vscode.Uri {
    return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(this.specs[0]!.files[0]!));
  }

  private async exportReport(): Promise<void> {
    if (!this.results) {
      return;
    }
    const target = await vscode.window.showSaveDialog({
      title: 'T2Vid: Export Diversity Report',
      defaultUri: vscode.Uri.joinPath(this.defaultFolder(), 'report.html'),
      filters: { HTML: ['html'] },
    });
    if (!target) {
      return;
    }
    const html = target.fsPath;
    const json = html.replace(/\.html?$/i, '') + '.json';
    await writeFileAtomic(html, reportHtml(this.results, readReportAssets(this.context.extensionUri.fsPath)));
    await writeFileAtomic(json, reportJson(this.results.report));
    void vscode.window.showInformationMessage(`T2Vid: wrote ${path.basename(html)} and ${path.basename(json)}`);
  }

  private async savePng(chart: string, dataUrl: string): Promise<void> {
    const target = await vscode.window.showSaveDialog({
      title: `T2Vid: Save the ${chart} chart as PNG`,
      defaultUri: vscode.Uri.joinPath(this.defaultFolder(), `diversity-${chart}.png`),
      filters: { PNG: ['png'] },
    });
    if (target) {
      await writeFileAtomic(target.fsPath, Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
    }
  }
}
