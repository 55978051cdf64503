/**
 * The curation editor for datasets larger than VS Code hands to extensions as text (it syncs files up to 50 MB): a
 * CustomEditorProvider whose document is a LineFile (an index of line offsets, lines read on demand, edited lines in
 * an overlay). VS Code still owns the edit history: every line edit is reported with its undo and redo, so Ctrl+Z,
 * the dirty dot, Save, Save As, Revert and hot exit (backups) work as in any editor; a save streams the file to a
 * temp file and renames it into place.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LineFile } from '../../core/curation/lineFile';
import type { CurationEditorProvider, DatasetModel } from './curationEditor';

/** Files at least this large open in the large-file editor (VS Code's limit for syncing text to extensions). */
export const LARGE_FILE_BYTES = 50 * 1024 * 1024;

type ChangeListener = (e: { lines: number[] | undefined; own: boolean }) => void;

export class LargeDatasetDocument implements vscode.CustomDocument, DatasetModel {
  private readonly listeners = new Set<ChangeListener>();
  private watcher: vscode.FileSystemWatcher | undefined;

  constructor(
    readonly uri: vscode.Uri,
    readonly lines: LineFile,
    private readonly report: (edit: vscode.CustomDocumentEditEvent<LargeDatasetDocument>) => void,
  ) {
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)));
    this.watcher.onDidChange(() => void this.reloadIfChanged());
  }

  get lineCount(): number {
    return this.lines.lineCount;
  }

  lineText(line: number): string {
    return this.lines.lineText(line);
  }

  isBlank(line: number): boolean {
    return this.lines.isBlank(line);
  }

  private fire(lines: number[] | undefined, own: boolean): void {
    for (const listener of this.listeners) {
      listener({ lines, own });
    }
  }

  onDidChange(listener: ChangeListener): vscode.Disposable {
    this.listeners.add(listener);
    return new vscode.Disposable(() => this.listeners.delete(listener));
  }

  replaceLine(line: number, text: string): Thenable<boolean> {
    const before = this.lines.lineText(line);
    this.lines.setLine(line, text);
    this.fire([line], true);
    this.report({
      document: this,
      label: 'Edit Q&A',
      undo: () => {
        this.lines.setLine(line, before);
        this.fire([line], false);
      },
      redo: () => {
        this.lines.setLine(line, text);
        this.fire([line], false);
      },
    });
    return Promise.resolve(true);
  }

  /** Another program wrote the file: take its content if nothing is unsaved here (an unsaved edit wins until saved). */
  private async reloadIfChanged(): Promise<void> {
    if (!this.lines.dirty && (await this.lines.changedOnDisk())) {
      await this.lines.revert();
      this.fire(undefined, false);
    }
  }

  async revert(): Promise<void> {
    await this.lines.revert();
    this.fire(undefined, false);
  }

  dispose(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    this.listeners.clear();
    this.lines.close();
  }
}

export class LargeDatasetEditorProvider implements vscode.CustomEditorProvider<LargeDatasetDocument> {
  static readonly viewType = 't2vid.curationLarge';
  private readonly changes = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<LargeDatasetDocument>>();
  readonly onDidChangeCustomDocument = this.changes.event;

  constructor(private readonly curation: CurationEditorProvider) {}

  async openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext, token: vscode.CancellationToken): Promise<LargeDatasetDocument> {
    if (uri.scheme !== 'file') {
      throw new Error(`T2Vid opens large datasets with the file system of the machine the workspace is on; ${uri.toString()} is not on one`);
    }
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort(new Error('cancelled')));
    try {
      const lines = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `T2Vid: indexing ${path.basename(uri.fsPath)}` },
        () => LineFile.open(uri.fsPath, controller.signal),
      );
      if (context.backupId) {
        const backup = await vscode.workspace.fs.readFile(vscode.Uri.parse(context.backupId)).then(
          (bytes) => Buffer.from(bytes).toString('utf8'),
          () => undefined,
        );
        if (backup !== undefined && !lines.restore(backup)) {
          void vscode.window.showWarningMessage(`T2Vid: the unsaved edits of ${path.basename(uri.fsPath)} could not be restored: the file changed on disk since.`);
        }
      }
      return new LargeDatasetDocument(uri, lines, (edit) => this.changes.fire(edit));
    } finally {
      cancel.dispose();
    }
  }

  resolveCustomEditor(document: LargeDatasetDocument, panel: vscode.WebviewPanel): void {
    this.curation.attach(document, panel);
  }

  async saveCustomDocument(document: LargeDatasetDocument, token: vscode.CancellationToken): Promise<void> {
    await this.save(document, document.uri.fsPath, token);
  }

  async saveCustomDocumentAs(document: LargeDatasetDocument, destination: vscode.Uri, token: vscode.CancellationToken): Promise<void> {
    if (destination.scheme !== 'file') {
      throw new Error(`T2Vid saves large datasets to the file system of the machine the workspace is on, not ${destination.toString()}`);
    }
    await this.save(document, destination.fsPath, token);
  }

  private async save(document: LargeDatasetDocument, target: string, token: vscode.CancellationToken): Promise<void> {
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort(new Error('cancelled')));
    try {
      await document.lines.save(target, controller.signal);
    } finally {
      cancel.dispose();
    }
  }

  async revertCustomDocument(document: LargeDatasetDocument): Promise<void> {
    await document.revert();
  }

  async backupCustomDocument(document: LargeDatasetDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    await vscode.workspace.fs.writeFile(context.destination, Buffer.from(document.lines.backup(), 'utf8'));
    return {
      id: context.destination.toString(),
      delete: () => void vscode.workspace.fs.delete(context.destination).then(undefined, () => undefined),
    };
  }
}
