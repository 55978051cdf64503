/**
 * Preflight problems of an exported training set in the Problems panel: one diagnostic per problem, on the line its
 * record starts, from `t2vid preflight`'s own checker (src/core/assemble/preflight.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describePreflight, preflight, type PreflightReport } from '../../core/assemble/preflight';
import { formatOfFile } from '../../core/writers/index';
import { EXPORT_FORMATS, MODEL_PROFILES, type ExportFormat } from '../../shared/profiles';
import { withAbortSignal } from '../common/cancellation';

export const PREFLIGHT_SOURCE = 't2vid preflight';

export class PreflightProblems implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('t2vid-preflight');
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor() {
    // A deleted or renamed export takes its problems with it.
    this.disposables.push(
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((uri) => this.forget(uri))),
      vscode.workspace.onDidRenameFiles((e) => e.files.forEach(({ oldUri }) => this.forget(oldUri))),
    );
  }

  private forget(uri: vscode.Uri): void {
    for (const [file] of [...this.collectionEntries()]) {
      if (file.toString() === uri.toString() || file.fsPath.startsWith(uri.fsPath + path.sep)) {
        this.collection.delete(file);
      }
    }
  }

  private collectionEntries(): Array<[vscode.Uri, readonly vscode.Diagnostic[]]> {
    const out: Array<[vscode.Uri, readonly vscode.Diagnostic[]]> = [];
    this.collection.forEach((uri, diagnostics) => {
      out.push([uri, diagnostics]);
    });
    return out;
  }

  /** Replaces the file's diagnostics with the report's problems. */
  show(report: PreflightReport): number {
    const uri = vscode.Uri.file(report.file);
    const diagnostics = report.problems.map((p) => {
      const line = Math.max(0, p.line - 1);
      const d = new vscode.Diagnostic(
        new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
        p.element !== undefined ? `[${p.element}] ${p.message}` : p.message,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = PREFLIGHT_SOURCE;
      d.code = p.kind;
      return d;
    });
    this.collection.set(uri, diagnostics);
    return diagnostics.length;
  }

  /** "T2Vid: Preflight Training Set": the file from the explorer/editor, or picked; format asked when the name does not say. */
  async run(target?: vscode.Uri): Promise<PreflightReport | undefined> {
    const uri = target ?? vscode.window.activeTextEditor?.document.uri ?? (await pickExport());
    if (!uri) {
      return undefined;
    }
    let format: ExportFormat | undefined;
    if (!formatOfFile(uri.fsPath)) {
      const pick = await vscode.window.showQuickPick(
        EXPORT_FORMATS.map((f) => ({ label: f })),
        { title: `Preflight: which trainer's format is ${path.basename(uri.fsPath)}?`, ignoreFocusOut: true },
      );
      if (!pick) {
        return undefined;
      }
      format = pick.label as ExportFormat;
    }
    const profile = await vscode.window.showQuickPick(
      [
        { label: 'The format’s own model', id: undefined as string | undefined },
        ...MODEL_PROFILES.map((p) => ({ label: p.label, description: p.id, id: p.id as string | undefined })),
      ],
      { title: 'Preflight: whose limits (frames, token budget) apply?', ignoreFocusOut: true },
    );
    if (!profile) {
      return undefined;
    }
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Preflight of ${path.basename(uri.fsPath)}`, cancellable: true },
      (_progress, token) => withAbortSignal(token, (signal) => preflight(uri.fsPath, { format, profile: profile.id, signal })),
    );
    const n = this.show(report);
    const summary = describePreflight(report);
    if (n) {
      const choice = await vscode.window.showWarningMessage(`T2Vid: ${summary}`, 'Show Problems');
      if (choice) {
        await vscode.commands.executeCommand('workbench.actions.view.problems');
      }
    } else {
      void vscode.window.showInformationMessage(`T2Vid: ${summary}`);
    }
    return report;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

async function pickExport(): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles('**/*.{json,jsonl}', '**/node_modules/**', 2000);
  const known = files.filter((f) => formatOfFile(f.fsPath));
  const items = [
    ...known.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { label: '$(folder-opened) Browse…', uri: undefined as vscode.Uri | undefined },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Preflight: which exported training set?', ignoreFocusOut: true });
  if (!pick) {
    return undefined;
  }
  if (pick.uri) {
    return pick.uri;
  }
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Training sets': ['json', 'jsonl'] } });
  return chosen?.[0];
}
