/**
 * The curation editor: a CustomTextEditorProvider over JSONL datasets (`*.t2vid.jsonl` by default, "Open With…" for
 * any `.jsonl`). The TextDocument is the model: every change is a WorkspaceEdit that replaces one line, so undo/redo,
 * dirty state, save, hot exit and "Reopen With… Text Editor" work as in any editor, and an edit of the file from
 * elsewhere (a text editor beside it, git) refreshes the view.
 * The webview shows a virtualized list: it asks for the rows it is about to show and for their frame strips (rendered
 * in a render process of their own), and sends edits addressed by line + the hash of the text it showed.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DatasetIndex, NO_FILTER, type LineSource } from '../../core/curation/dataset';
import type { RowFilter } from '../../shared/vocabulary';
import { applyEdit, EditError, type EditOp, type PairData, type ParsedRow } from '../../core/curation/records';
import { StripClient, StripDropped, type StripPage } from '../../core/curation/strips';
import { regeneratePair } from '../../core/qa/regenerate';
import type { GeneratedPair } from '../../core/qa/types';
import { fileStem } from '../../core/readers/schema';
import type { Range } from '../../core/segment';
import {
  lineHash,
  parseCurationFromWebview,
  type CurationEdit,
  type CurationFromWebview,
  type CurationToWebview,
  type PairView,
  type ReviewCommand,
  type RowView,
  type StatsView,
} from '../../shared/protocol/curation';
import { llmConnection, qaSettings, showSettingsError } from '../config/qaSettings';
import { engineOptions, fieldMapping } from '../config/settings';
import { webviewHtml } from '../common/webviewHtml';

/** Characters of each context sent with a row (the frames show the rest). */
const CONTEXT_HEAD = 400;

export class CurationEditorProvider implements vscode.CustomTextEditorProvider, vscode.Disposable {
  /** The default editor of `*.t2vid.jsonl`. */
  static readonly viewType = 't2vid.curation';
  /** The same editor, offered by "Open With…" for any JSONL. */
  static readonly anyJsonlViewType = 't2vid.curationJsonl';
  private strips: StripClient | undefined;
  private readonly sessions = new Set<CurationSession>();
  active: CurationSession | undefined;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {}

  stripCacheDir(): vscode.Uri {
    return vscode.Uri.joinPath(this.context.globalStorageUri, 'strip-cache');
  }

  stripClient(): StripClient {
    this.strips ??= new StripClient(this.stripCacheDir().fsPath);
    return this.strips;
  }

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    this.attach(new TextDocumentModel(document), panel);
  }

  /** Opens a session of `model` in `panel` (both the text and the large-file editor end here). */
  attach(model: DatasetModel, panel: vscode.WebviewPanel): void {
    const session = new CurationSession(this, model, panel);
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

  /** A review command from the palette or a keybinding, for the active curation editor. */
  command(command: ReviewCommand): void {
    this.active?.post({ type: 'curation/command', command });
  }

  dispose(): void {
    for (const session of this.sessions) {
      session.dispose();
    }
    this.strips?.dispose();
  }
}

function pairView(pair: PairData): PairView {
  return {
    question: pair.question,
    answer: pair.answer,
    status: pair.status,
    kind: pair.kind ?? null,
    generator: pair.generator ?? null,
    model: pair.model ?? null,
    createdAt: pair.createdAt ?? null,
    editedByUser: pair.editedByUser ?? false,
    supportingFrames: pair.supportingFrames ?? [],
    questionReadOnly: pair.questionReadOnly ?? false,
  };
}

function rowView(line: number, text: string, row: ParsedRow): RowView {
  const hash = lineHash(text);
  if (!row.ok) {
    return {
      line,
      hash,
      ok: false,
      error: row.error,
      id: `line ${line + 1}`,
      schema: null,
      contextHead: text.slice(0, CONTEXT_HEAD),
      contextLength: text.length,
      frameCount: null,
      pairs: [],
      canAdd: false,
      canDelete: false,
      warnings: [],
    };
  }
  return {
    line,
    hash,
    ok: true,
    error: null,
    id: row.id,
    schema: row.schema,
    contextHead: row.context.slice(0, CONTEXT_HEAD),
    contextLength: row.context.length,
    frameCount: row.frames ? row.frames.length : null,
    pairs: row.pairs.map(pairView),
    canAdd: row.canAdd,
    canDelete: row.canDelete,
    warnings: row.warnings,
  };
}

/** A pair as the generators see it (pairs of other formats have no provenance: they came with the data). */
function asGenerated(pair: PairData): GeneratedPair {
  return {
    question: pair.question,
    answer: pair.answer,
    kind: (pair.kind ?? 'other') as GeneratedPair['kind'],
    supportingFrames: pair.supportingFrames ?? [],
    provenance: {
      generator: (pair.generator ?? 'source') as GeneratedPair['provenance']['generator'],
      promptVersion: pair.promptVersion ?? 'source',
      createdAt: pair.createdAt ?? '',
      editedByUser: pair.editedByUser ?? false,
    },
    status: pair.status,
  };
}

/** Where a curation session reads and writes lines: a TextDocument, or a large file (largeDataset.ts). */
export interface DatasetModel {
  readonly uri: vscode.Uri;
  readonly lineCount: number;
  lineText(line: number): string;
  /** True if the line holds only whitespace (optional: a model that can tell without reading the line offers it). */
  isBlank?(line: number): boolean;
  /** Replaces one line (the text holds no line break) as one undoable edit; resolves false if it could not. */
  replaceLine(line: number, text: string): Thenable<boolean>;
  /** Lines changed in place (`lines`), or anything may have moved (`lines` undefined); `own`: made by replaceLine. */
  onDidChange(listener: (e: { lines: number[] | undefined; own: boolean }) => void): vscode.Disposable;
  /** Shows a line in a text editor (a large file cannot be: VS Code's text editor does not take it). */
  reveal?(line: number): Promise<void>;
}

/** A dataset as a TextDocument: edits are WorkspaceEdits, so undo/redo/save/hot exit are VS Code's. */
export class TextDocumentModel implements DatasetModel {
  private applying = false;

  constructor(readonly document: vscode.TextDocument) {}

  get uri(): vscode.Uri {
    return this.document.uri;
  }

  get lineCount(): number {
    return this.document.lineCount;
  }

  lineText(line: number): string {
    return this.document.lineAt(line).text;
  }

  async replaceLine(line: number, text: string): Promise<boolean> {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(this.document.uri, this.document.lineAt(line).range, text);
    this.applying = true;
    try {
      return await vscode.workspace.applyEdit(edit);
    } finally {
      this.applying = false;
    }
  }

  onDidChange(listener: (e: { lines: number[] | undefined; own: boolean }) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document !== this.document || e.contentChanges.length === 0) {
        return;
      }
      const inPlace = e.contentChanges.every((c) => c.range.start.line === c.range.end.line && !/[\r\n]/.test(c.text));
      listener({ lines: inPlace ? [...new Set(e.contentChanges.map((c) => c.range.start.line))] : undefined, own: this.applying });
    });
  }

  async reveal(line: number): Promise<void> {
    const editor = await vscode.window.showTextDocument(this.document.uri, { viewColumn: vscode.ViewColumn.Beside, preview: true });
    const range = this.document.lineAt(Math.min(line, this.document.lineCount - 1)).range;
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}

export class CurationSession implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly index: DatasetIndex;
  private readonly name: string;
  private filter: RowFilter = NO_FILTER;
  private lines: number[] = [];
  private version = 0;
  /** Hashes a line had before edits made here, since the last change from elsewhere: edits sent against them still apply. */
  private readonly superseded = new Map<number, Set<string>>();
  private queue: Promise<void> = Promise.resolve();
  private building: AbortController | undefined;
  private resetTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private firstBuildTimer: NodeJS.Timeout | undefined;
  /** Frame ranges of rendered strips, by line hash (for regenerate and open-frame). */
  private readonly strips = new Map<string, StripPage[]>();
  private disposed = false;

  constructor(
    private readonly provider: CurationEditorProvider,
    readonly model: DatasetModel,
    private readonly panel: vscode.WebviewPanel,
  ) {
    this.name = path.basename(model.uri.path);
    this.index = new DatasetIndex(this.source(), { file: this.name, stem: fileStem(this.name), fields: this.fields() });
    this.lines = this.index.filter(this.filter);
    const webview = panel.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(provider.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(provider.context.extensionUri, 'media'), provider.stripCacheDir()],
    };
    webview.html = webviewHtml(webview, provider.context.extensionUri, 'curation', `T2Vid Curation: ${this.name}`);
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      model.onDidChange((e) => this.onDocumentChange(e)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('t2vid.segment') || e.affectsConfiguration('t2vid.render') || e.affectsConfiguration('t2vid.input.fields')) {
          this.strips.clear();
          this.scheduleReset(0);
        } else if (e.affectsConfiguration('t2vid.qa')) {
          this.postView();
        }
      }),
    );
  }

  private fields(): ReturnType<typeof fieldMapping> {
    try {
      return fieldMapping(this.model.uri);
    } catch (e) {
      this.provider.log.warn(`t2vid.input.fields: ${(e as Error).message}`);
      return undefined;
    }
  }

  private source(): LineSource {
    const model = this.model;
    return { lineCount: model.lineCount, lineText: (i) => model.lineText(i), isBlank: model.isBlank?.bind(model) };
  }

  post(message: CurationToWebview): void {
    if (!this.disposed) {
      void this.panel.webview.postMessage(message);
    }
  }

  private notice(level: 'info' | 'error', message: string): void {
    this.post({ type: 'curation/notice', level, message });
    if (level === 'error') {
      this.provider.log.warn(`${this.name}: ${message}`);
    }
  }

  private onMessage(raw: unknown): void {
    const message = parseCurationFromWebview(raw);
    if (!message) {
      this.provider.log.warn(`curation editor: ignored an invalid message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    void this.handle(message).catch((e: unknown) => {
      this.provider.log.error((e as Error).stack ?? String(e));
      this.notice('error', (e as Error).message);
    });
  }

  private async handle(message: CurationFromWebview): Promise<void> {
    switch (message.type) {
      case 'curation/ready':
        this.postView();
        this.postStats();
        // Index once the first frame strip is out (or after a second): on a 100,000-line file indexing takes about half
        // a second of CPU, which the first rows and the strip's render process would otherwise wait for or share.
        clearTimeout(this.firstBuildTimer);
        this.firstBuildTimer = setTimeout(() => this.startFirstBuild(), 1000);
        return;
      case 'curation/requestRows':
        this.postRows(message.lines);
        return;
      case 'curation/requestFrames':
        return this.renderStrip(message.line, message.hash);
      case 'curation/setFilter':
        this.filter = message.filter;
        this.lines = this.index.filter(this.filter);
        this.postView();
        return;
      case 'curation/edit':
        return this.enqueue(() => this.edit(message.line, message.hash, message.edit));
      case 'curation/regenerate':
        return this.regenerate(message.line, message.hash, message.pair);
      case 'curation/reveal':
        return this.reveal(message.line);
      case 'curation/setGenerator':
        await vscode.workspace.getConfiguration('t2vid.qa', this.model.uri).update('generator', message.generator, vscode.ConfigurationTarget.Workspace);
        return;
      case 'curation/openFrame': {
        const page = this.strips.get(message.hash)?.[message.index];
        if (page) {
          await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(page.file), { viewColumn: vscode.ViewColumn.Beside, preview: true });
        }
        return;
      }
    }
  }

  private postView(): void {
    const engine = this.engine();
    const qa = qaSettings(this.model.uri);
    this.version++;
    this.post({
      type: 'curation/view',
      file: this.name,
      lines: this.lines,
      total: this.index.rowCount,
      filter: this.filter,
      version: this.version,
      frameWidth: engine?.render.width ?? 448,
      frameHeight: engine?.render.height ?? 448,
      generator: qa.generator,
      llmModel: qa.model,
      mode: this.model.reveal ? 'text' : 'large',
    });
  }

  private engine(): ReturnType<typeof engineOptions> | undefined {
    try {
      return engineOptions(this.model.uri);
    } catch (e) {
      this.notice('error', (e as Error).message);
      return undefined;
    }
  }

  private postRows(lines: readonly number[]): void {
    const rows: RowView[] = [];
    for (const line of lines) {
      if (line < this.model.lineCount && this.index.isRow(line)) {
        rows.push(rowView(line, this.model.lineText(line), this.index.row(line)));
      }
    }
    if (rows.length) {
      this.post({ type: 'curation/rows', version: this.version, rows });
    }
  }

  private postStats(): void {
    const s = this.index.stats();
    const stats: StatsView = { rows: s.rows, errors: s.errors, pairs: s.pairs, ...s.statuses, complete: s.complete };
    this.post({ type: 'curation/stats', stats });
  }

  private postStatsSoon(): void {
    if (this.statsTimer) {
      return;
    }
    this.statsTimer = setTimeout(() => {
      this.statsTimer = undefined;
      this.postStats();
    }, 150);
  }

  private startFirstBuild(): void {
    if (this.firstBuildTimer !== undefined) {
      clearTimeout(this.firstBuildTimer);
      this.firstBuildTimer = undefined;
      this.startBuild();
    }
  }

  /** Summarize every row in the background (for counts and filters), posting progress now and then. */
  private startBuild(): void {
    this.building?.abort();
    const controller = new AbortController();
    this.building = controller;
    let last = performance.now();
    void this.index
      .build(controller.signal, 8, () => {
        if (performance.now() - last > 500) {
          last = performance.now();
          this.postStats();
        }
      })
      .then((done) => {
        if (done && !controller.signal.aborted) {
          this.postStats();
        }
      });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The line's current text if the webview's hash still describes it, else undefined (and the row is re-sent). */
  private checkLine(line: number, hash: string): string | undefined {
    if (line >= this.model.lineCount || !this.index.isRow(line)) {
      this.notice('error', `line ${line + 1} is no longer a sample in ${this.name}; the list was refreshed`);
      this.postView();
      return undefined;
    }
    const text = this.model.lineText(line);
    if (lineHash(text) !== hash && !this.superseded.get(line)?.has(hash)) {
      this.notice('info', `line ${line + 1} changed in the file meanwhile; it is shown as it is now`);
      this.postRows([line]);
      return undefined;
    }
    return text;
  }

  private async edit(line: number, hash: string, edit: CurationEdit | EditOp): Promise<void> {
    const text = this.checkLine(line, hash);
    if (text === undefined) {
      return;
    }
    let next: string;
    try {
      next = applyEdit(text, edit as EditOp, { file: this.name, stem: fileStem(this.name), line: line + 1, fields: this.fields() });
    } catch (e) {
      if (e instanceof EditError) {
        this.notice('error', e.message);
        this.postRows([line]);
        return;
      }
      throw e;
    }
    if (next === text) {
      return;
    }
    const ok = await this.model.replaceLine(line, next);
    if (!ok) {
      this.notice('error', `could not edit ${this.name} (is it read-only?)`);
      this.postRows([line]);
      return;
    }
    const seen = this.superseded.get(line) ?? new Set<string>();
    seen.add(lineHash(text));
    this.superseded.set(line, seen);
    if (edit.type === 'add') {
      const row = this.index.row(line);
      if (row.ok) {
        this.post({ type: 'curation/focus', line, pair: row.pairs.length - 1, field: 'question' });
      }
    }
  }

  private onDocumentChange(e: { lines: number[] | undefined; own: boolean }): void {
    if (!e.own) {
      this.superseded.clear();
    }
    if (e.lines && this.resetTimer === undefined) {
      const changed = e.lines;
      if (changed.every((line) => line < this.model.lineCount && this.index.lineChanged(line))) {
        this.postRows(changed);
        this.startBuild();
        this.postStatsSoon();
        return;
      }
    }
    this.scheduleReset(60);
  }

  /** Lines moved (or settings changed): re-read the rows, re-apply the filter, and have the webview re-ask. */
  private scheduleReset(delayMs: number): void {
    clearTimeout(this.resetTimer);
    this.resetTimer = setTimeout(() => {
      this.resetTimer = undefined;
      this.superseded.clear();
      this.index.reset(this.source());
      this.lines = this.index.filter(this.filter);
      this.postView();
      this.postStats();
      this.startBuild();
    }, delayMs);
  }

  private async renderStrip(line: number, hash: string): Promise<void> {
    if (line >= this.model.lineCount) {
      return;
    }
    const text = this.model.lineText(line);
    if (lineHash(text) !== hash) {
      return; // the webview re-asks with the new row
    }
    const row = this.index.row(line);
    if (!row.ok) {
      return;
    }
    const engine = this.engine();
    if (!engine) {
      return;
    }
    try {
      const pages = await this.stripPages(hash, row.context, row.frames, engine);
      this.post({
        type: 'curation/frames',
        line,
        hash,
        frames: pages.map((p) => ({ index: p.index, src: this.panel.webview.asWebviewUri(vscode.Uri.file(p.file)).toString(), clipped: p.clipped })),
        error: null,
      });
      this.startFirstBuild();
    } catch (e) {
      if (e instanceof StripDropped) {
        return;
      }
      this.post({ type: 'curation/frames', line, hash, frames: [], error: (e as Error).message });
    }
  }

  private async stripPages(hash: string, context: string, frames: Range[] | undefined, engine: ReturnType<typeof engineOptions>): Promise<StripPage[]> {
    const cached = this.strips.get(hash);
    if (cached) {
      return cached;
    }
    const pages = await this.provider.stripClient().render({ text: context, options: engine, ranges: frames });
    if (this.strips.size > 500) {
      this.strips.delete(this.strips.keys().next().value as string);
    }
    this.strips.set(hash, pages);
    return pages;
  }

  private async regenerate(line: number, hash: string, pair: number): Promise<void> {
    const text = this.checkLine(line, hash);
    if (text === undefined) {
      return;
    }
    const row = this.index.row(line);
    if (!row.ok || pair >= row.pairs.length) {
      return;
    }
    const settings = qaSettings(this.model.uri);
    const engine = this.engine();
    if (!engine) {
      return;
    }
    this.provider.log.info(`regenerate pair ${pair + 1} of ${row.id} (${this.name}:${line + 1}) with ${settings.generator === 'llm' ? `${settings.model} at ${settings.baseUrl}` : 'the built-in generator'}`);
    this.post({ type: 'curation/busy', line, pair, busy: true });
    try {
      const pages = await this.stripPages(lineHash(text), row.context, row.frames, engine);
      const doc = { id: row.id, context: row.context, frames: row.frames ?? pages.map((p) => p.range) };
      const existing = row.pairs.map(asGenerated);
      let replacement: GeneratedPair;
      if (settings.generator === 'llm') {
        let llm;
        try {
          llm = await llmConnection(this.provider.context.secrets, settings);
        } catch (e) {
          void showSettingsError(e);
          return;
        }
        replacement = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `T2Vid: asking ${settings.model} for a new question`, cancellable: true },
          async (_progress, token) => {
            const controller = new AbortController();
            const cancel = token.onCancellationRequested(() => controller.abort(new Error('cancelled')));
            try {
              return await regeneratePair(doc, existing, pair, { generator: 'llm', llm, signal: controller.signal });
            } finally {
              cancel.dispose();
            }
          },
        );
      } else {
        // A new seed per regeneration, so pressing it again gives yet another question.
        const seed = settings.seed + 1 + Math.floor(Math.random() * 1_000_000);
        replacement = await regeneratePair(doc, existing, pair, { generator: 'builtin', seed, locale: engine.segment.locale });
      }
      this.provider.log.info(`regenerated pair ${pair + 1} of ${row.id}: ${JSON.stringify(replacement.question)}`);
      const replaceWith = { ...replacement } as unknown as Record<string, unknown> & { question: string; answer: string };
      await this.enqueue(() => this.edit(line, hash, { type: 'replace', pair, with: replaceWith }));
    } catch (e) {
      this.notice('error', `could not regenerate pair ${pair + 1} of ${row.id}: ${(e as Error).message}`);
    } finally {
      this.post({ type: 'curation/busy', line, pair, busy: false });
    }
  }

  private async reveal(line: number): Promise<void> {
    if (!this.model.reveal) {
      this.notice('info', `${this.name} is larger than VS Code's text editor takes; line ${line + 1} cannot be shown there`);
      return;
    }
    await this.model.reveal(line);
  }

  dispose(): void {
    this.disposed = true;
    this.building?.abort();
    clearTimeout(this.resetTimer);
    clearTimeout(this.statsTimer);
    clearTimeout(this.firstBuildTimer);
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
  }
}
