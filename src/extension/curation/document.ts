/**
 * The document model of the curation editor: a dataset file as a LineFile (an index of line offsets, lines read on
 * demand, edited lines in an overlay until saved), whatever its size, so no text model is ever loaded for it. Every
 * line edit is reported to VS Code with its undo and redo (the provider turns them into the editor's edit stack, which
 * gives undo, redo, the dirty dot, save, revert and hot exit); a change of the file on disk made elsewhere is taken
 * when nothing is unsaved here.
 * Files of other file systems (a git revision in a diff, a virtual workspace) are copied to a temp file first and
 * written back through `vscode.workspace.fs` on save.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LineFile } from '../../core/curation/lineFile';

/** VS Code's text editor takes files up to this size (its limit for syncing a text model to extensions). */
export const TEXT_EDITOR_LIMIT_BYTES = 50 * 1024 * 1024;

/** Lines changed in place (`lines`), or anything may have moved (`lines` undefined); `own`: made by replaceLine. */
export interface DatasetChange {
  lines: number[] | undefined;
  own: boolean;
}

type ChangeListener = (e: DatasetChange) => void;

export class DatasetDocument implements vscode.CustomDocument {
  private readonly listeners = new Set<ChangeListener>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly abort = new AbortController();
  private file: LineFile | undefined;
  /** The temp copy of a file of another file system (undefined for a local file). */
  private copy: string | undefined;
  /** A file system that cannot be written (a git revision): edits are refused. */
  readonly readonly: boolean;
  /**
   * Resolves once the file is indexed (about a second per GB) and a backup's edits are restored. The document is
   * handed to VS Code before that, so the tab's webview loads while the file is indexed; everything that reads lines
   * waits for it.
   */
  readonly ready: Promise<void>;

  constructor(
    readonly uri: vscode.Uri,
    private readonly report: (edit: vscode.CustomDocumentEditEvent<DatasetDocument>) => void,
    backup?: Thenable<string | undefined>,
  ) {
    this.readonly = vscode.workspace.fs.isWritableFileSystem(uri.scheme) === false;
    this.ready = this.load(backup);
    this.ready.catch(() => undefined); // reported by whoever waits for it (the session)
    if (uri.scheme === 'file') {
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)),
      );
      // Programs that write a temp file and rename it over the dataset show as a create.
      this.disposables.push(
        watcher,
        watcher.onDidChange(() => void this.reloadIfChanged()),
        watcher.onDidCreate(() => void this.reloadIfChanged()),
      );
    }
  }

  private async load(backup: Thenable<string | undefined> | undefined): Promise<void> {
    let local = this.uri.fsPath;
    if (this.uri.scheme !== 'file') {
      const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 't2vid-curation-'));
      this.copy = path.join(dir, path.basename(this.uri.path) || 'dataset.jsonl');
      local = this.copy;
      try {
        await fs.promises.writeFile(this.copy, await vscode.workspace.fs.readFile(this.uri));
      } catch (e) {
        throw new Error(`could not read ${this.uri.toString()}: ${(e as Error).message}`);
      }
    }
    const file = await LineFile.open(local, this.abort.signal);
    if (this.abort.signal.aborted) {
      file.close();
      throw new Error(`${this.name} was closed`);
    }
    this.file = file;
    const saved = await backup;
    if (saved !== undefined && !file.restore(saved)) {
      void vscode.window.showWarningMessage(
        `T2Vid: the unsaved edits of ${this.name} could not be restored: the file changed on disk since.`,
      );
    }
  }

  /** The line index (only once `ready` resolved). */
  get lines(): LineFile {
    if (!this.file) {
      throw new Error(`${this.name} is still being indexed`);
    }
    return this.file;
  }

  get name(): string {
    return path.basename(this.uri.path);
  }

  get lineCount(): number {
    return this.lines.lineCount;
  }

  /** Whether VS Code's text editor takes the file ("Show line"): under its 50 MB limit. */
  get canShowAsText(): boolean {
    return this.lines.bytes < TEXT_EDITOR_LIMIT_BYTES;
  }

  lineText(line: number): string {
    return this.lines.lineText(line);
  }

  isBlank(line: number): boolean {
    return this.lines.isBlank(line);
  }

  onDidChange(listener: ChangeListener): vscode.Disposable {
    this.listeners.add(listener);
    return new vscode.Disposable(() => this.listeners.delete(listener));
  }

  private fire(lines: number[] | undefined, own: boolean): void {
    for (const listener of this.listeners) {
      listener({ lines, own });
    }
  }

  /** Replaces one line (the text holds no line break) as one step of VS Code's edit stack; false if read-only. */
  replaceLine(line: number, text: string): boolean {
    if (this.readonly) {
      return false;
    }
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
    return true;
  }

  /** Another program wrote the file: take its content if nothing is unsaved here (an unsaved edit wins until saved). */
  private async reloadIfChanged(): Promise<void> {
    await this.ready;
    if (!this.lines.dirty && (await this.lines.changedOnDisk())) {
      await this.lines.revert();
      this.fire(undefined, false);
    }
  }

  /** Writes the file with its edits to `target` (default: where it came from), atomically. */
  async save(target: vscode.Uri = this.uri, signal?: AbortSignal): Promise<void> {
    await this.ready;
    if (target.scheme === 'file') {
      await this.lines.save(target.fsPath, signal);
    } else if (this.copy && target.toString() === this.uri.toString()) {
      await this.lines.save(this.copy, signal);
      await vscode.workspace.fs.writeFile(target, await fs.promises.readFile(this.copy));
    } else {
      // Save As to another file system: write a temp file, then hand its bytes over.
      const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 't2vid-save-'));
      try {
        const out = path.join(dir, 'dataset.jsonl');
        await this.lines.save(out, signal);
        await vscode.workspace.fs.writeFile(target, await fs.promises.readFile(out));
      } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
      }
    }
  }

  async revert(): Promise<void> {
    await this.ready;
    if (this.copy) {
      await fs.promises.writeFile(this.copy, await vscode.workspace.fs.readFile(this.uri));
    }
    await this.lines.revert();
    this.fire(undefined, false);
  }

  /** Opens VS Code's text editor beside, at `line`. */
  async showLine(line: number): Promise<void> {
    const at = new vscode.Position(Math.max(0, Math.min(line, this.lineCount - 1)), 0);
    await vscode.window.showTextDocument(this.uri, {
      viewColumn: vscode.ViewColumn.Beside,
      preview: true,
      selection: new vscode.Range(at, at),
    });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
    this.listeners.clear();
    this.abort.abort(new Error('closed'));
    this.file?.close();
    if (this.copy) {
      void fs.promises.rm(path.dirname(this.copy), { recursive: true, force: true });
    }
  }
}
