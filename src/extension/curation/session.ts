/**
 * One curation tab: the webview of a DatasetDocument. The webview shows a virtualized list: it asks for the rows it
 * is about to show and for their frame strips (rendered in a render process of their own), and sends edits addressed
 * by line + the hash of the text it showed; the session applies them to the document as one line each, keeps the
 * row index (counts, filters) up to date as lines change, and writes back the new pairs "Regenerate" gets (regenerate.ts).
 */
import * as vscode from 'vscode';
import { DatasetIndex, NO_FILTER, type LineSource } from '../../core/curation/dataset';
import { applyEdit, EditError, type EditOp } from '../../core/curation/records';
import { StripDropped, type StripPage } from '../../core/curation/strips';
import { fileStem } from '../../core/readers/schema';
import type { Range } from '../../core/segment';
import {
  lineHash,
  parseCurationFromWebview,
  type CurationEdit,
  type CurationFromWebview,
  type CurationToWebview,
  type RowView,
  type StatsView,
} from '../../shared/protocol/curation';
import type { RowFilter } from '../../shared/vocabulary';
import { webviewHtml } from '../common/webviewHtml';
import { qaSettings } from '../config/qaSettings';
import { engineOptions, fieldMapping } from '../config/settings';
import type { DatasetChange, DatasetDocument } from './document';
import type { CurationEditorProvider } from './provider';
import { newPair } from './regenerate';
import { asGenerated, rowView } from './viewMapping';

export class CurationSession implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** The row index (counts, filters), built once the document is indexed (`ready`). */
  private index!: DatasetIndex;
  /** Resolves once the document is indexed and the row index built; every webview message waits for it. */
  private readonly ready: Promise<void>;
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
    readonly model: DatasetDocument,
    private readonly panel: vscode.WebviewPanel,
  ) {
    this.name = model.name;
    // The webview loads while the file is indexed (the document is handed over before that).
    this.ready = model.ready.then(() => {
      this.index = new DatasetIndex(this.source(), { file: this.name, stem: fileStem(this.name), fields: this.fields() });
      this.lines = this.index.filter(this.filter);
    });
    this.ready.catch(() => undefined); // reported to the webview when it asks
    const webview = panel.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(provider.context.extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(provider.context.extensionUri, 'media'),
        provider.stripCacheDir(),
      ],
    };
    webview.html = webviewHtml(webview, provider.context.extensionUri, 'curation', `T2Vid Curation: ${this.name}`);
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      model.onDidChange((e) => this.onDocumentChange(e)),
      vscode.workspace.onDidChangeConfiguration(async (e) => {
        await this.ready.catch(() => undefined);
        if (this.index === undefined) {
          return;
        }
        if (
          e.affectsConfiguration('t2vid.segment') ||
          e.affectsConfiguration('t2vid.render') ||
          e.affectsConfiguration('t2vid.input.fields')
        ) {
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
    return { lineCount: model.lineCount, lineText: (i) => model.lineText(i), isBlank: (i) => model.isBlank(i) };
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
    void this.ready
      .then(() => this.handle(message))
      .catch((e: unknown) => {
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
        await vscode.workspace
          .getConfiguration('t2vid.qa', this.model.uri)
          .update('generator', message.generator, vscode.ConfigurationTarget.Workspace);
        return;
      case 'curation/openFrame': {
        const page = this.strips.get(message.hash)?.[message.index];
        if (page) {
          await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(page.file), {
            viewColumn: vscode.ViewColumn.Beside,
            preview: true,
          });
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
      mode: this.model.canShowAsText ? 'text' : 'large',
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
    if (!this.model.replaceLine(line, next)) {
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

  private onDocumentChange(e: DatasetChange): void {
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
        frames: pages.map((p) => ({
          index: p.index,
          src: this.panel.webview.asWebviewUri(vscode.Uri.file(p.file)).toString(),
          clipped: p.clipped,
        })),
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

  private async stripPages(
    hash: string,
    context: string,
    frames: Range[] | undefined,
    engine: ReturnType<typeof engineOptions>,
  ): Promise<StripPage[]> {
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
    this.provider.log.info(
      `regenerate pair ${pair + 1} of ${row.id} (${this.name}:${line + 1}) with ${settings.generator === 'llm' ? `${settings.model} at ${settings.baseUrl}` : 'the built-in generator'}`,
    );
    this.post({ type: 'curation/busy', line, pair, busy: true });
    try {
      const pages = await this.stripPages(lineHash(text), row.context, row.frames, engine);
      const doc = { id: row.id, context: row.context, frames: row.frames ?? pages.map((p) => p.range) };
      const replacement = await newPair(
        this.provider.context.secrets,
        settings,
        engine.segment.locale,
        doc,
        row.pairs.map(asGenerated),
        pair,
      );
      if (!replacement) {
        return;
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
    if (!this.model.canShowAsText) {
      this.notice('info', `${this.name} is larger than VS Code's text editor takes; line ${line + 1} cannot be shown there`);
      return;
    }
    await this.model.showLine(line);
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
