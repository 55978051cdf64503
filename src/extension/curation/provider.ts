/**
 * The curation editor: one CustomEditorProvider for JSONL datasets of every size (the default editor of
 * `*.t2vid.jsonl`, offered by "Open With…" for any `.jsonl` / `.ndjson`). Its document is a DatasetDocument (line
 * index + edit overlay, document.ts); this file registers it and answers VS Code's open, save, save as, revert and
 * backup (hot exit); each tab gets a CurationSession (session.ts). It also owns the frame-strip render process the
 * sessions share and routes the review commands to the active tab.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StripClient } from '../../core/curation/strips';
import type { ReviewCommand } from '../../shared/protocol/curation';
import { DatasetDocument } from './document';
import { CurationSession } from './session';

export class CurationEditorProvider implements vscode.CustomEditorProvider<DatasetDocument>, vscode.Disposable {
  static readonly viewType = 't2vid.curation';
  private readonly changes = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<DatasetDocument>>();
  readonly onDidChangeCustomDocument = this.changes.event;
  private strips: StripClient | undefined;
  private readonly sessions = new Set<CurationSession>();
  active: CurationSession | undefined;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {}

  /** Registers the editor; the returned disposable unregisters it and stops what it started. */
  static register(
    context: vscode.ExtensionContext,
    log: vscode.LogOutputChannel,
  ): { provider: CurationEditorProvider; registration: vscode.Disposable } {
    const provider = new CurationEditorProvider(context, log);
    const registration = vscode.Disposable.from(
      provider,
      vscode.window.registerCustomEditorProvider(CurationEditorProvider.viewType, provider, { supportsMultipleEditorsPerDocument: false }),
    );
    return { provider, registration };
  }

  stripCacheDir(): vscode.Uri {
    return vscode.Uri.joinPath(this.context.globalStorageUri, 'strip-cache');
  }

  stripClient(): StripClient {
    this.strips ??= new StripClient(this.stripCacheDir().fsPath);
    return this.strips;
  }

  async openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext): Promise<DatasetDocument> {
    // A missing or unreadable file fails here, in VS Code's own error editor; the index is built while the webview loads.
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.type & vscode.FileType.Directory) {
      throw new Error(`${uri.toString()} is a folder, not a dataset`);
    }
    const backup = context.backupId
      ? vscode.workspace.fs.readFile(vscode.Uri.parse(context.backupId)).then(
          (bytes) => Buffer.from(bytes).toString('utf8'),
          () => undefined,
        )
      : undefined;
    const document = new DatasetDocument(uri, (edit) => this.changes.fire(edit), backup);
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `T2Vid: indexing ${path.basename(uri.path)}` }, () =>
      document.ready.catch(() => undefined),
    );
    return document;
  }

  resolveCustomEditor(document: DatasetDocument, panel: vscode.WebviewPanel): void {
    const session = new CurationSession(this, document, panel);
    this.sessions.add(session);
    if (panel.active) {
      this.active = session;
    }
    panel.onDidChangeViewState(() => {
      if (panel.active) {
        this.active = session;
      } else if (this.active === session) {
        this.active = undefined;
      }
    });
    panel.onDidDispose(() => {
      this.sessions.delete(session);
      if (this.active === session) {
        this.active = undefined;
      }
      session.dispose();
      if (this.sessions.size === 0) {
        // No curation editor left: stop the strip render process (a new editor starts it again).
        this.strips?.dispose();
        this.strips = undefined;
      }
    });
  }

  async saveCustomDocument(document: DatasetDocument, token: vscode.CancellationToken): Promise<void> {
    await withSignal(token, (signal) => document.save(document.uri, signal));
  }

  async saveCustomDocumentAs(document: DatasetDocument, destination: vscode.Uri, token: vscode.CancellationToken): Promise<void> {
    await withSignal(token, (signal) => document.save(destination, signal));
  }

  async revertCustomDocument(document: DatasetDocument): Promise<void> {
    await document.revert();
  }

  async backupCustomDocument(document: DatasetDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    await document.ready;
    await vscode.workspace.fs.writeFile(context.destination, Buffer.from(document.lines.backup(), 'utf8'));
    return {
      id: context.destination.toString(),
      delete: () => void vscode.workspace.fs.delete(context.destination).then(undefined, () => undefined),
    };
  }

  /** A review command from the palette or a keybinding, for the active curation editor. */
  command(command: ReviewCommand): void {
    this.active?.post({ type: 'curation/command', command });
  }

  dispose(): void {
    for (const session of this.sessions) {
      session.dispose();
    }
    this.sessions.clear();
    this.strips?.dispose();
    this.strips = undefined;
    this.changes.dispose();
  }
}

/** Runs `job` with an AbortSignal that follows `token`. */
async function withSignal<T>(token: vscode.CancellationToken, job: (signal: AbortSignal) => Thenable<T>): Promise<T> {
  const controller = new AbortController();
  const cancel = token.onCancellationRequested(() => controller.abort(new Error('cancelled')));
  try {
    return await job(controller.signal);
  } finally {
    cancel.dispose();
  }
}
