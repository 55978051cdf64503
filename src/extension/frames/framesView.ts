/**
 * The "Frames" webview view: a live preview of the active document (or the dataset sample under the cursor) as the
 * frames the engine would synthesize. Rendering runs in a render process (PreviewClient), debounced, with stale
 * renders cancelled; frames are content-addressed PNGs in the extension's storage, shown through asWebviewUri.
 * The view keeps its last state and replays it when it becomes visible again.
 *
 * Long documents: a render streams its frames in (the first ones are shown while the rest are laid out), and the
 * webview is never sent every frame. It holds a virtual grid of `count` frames and asks for the ones near its
 * viewport (`frames/requestRange`); every state carries only that window (or the frames around the cursor on a
 * first paint). A 150,000-word book has thousands of frames: a state carrying all of them, re-validated and
 * persisted by the webview and built into thousands of thumbnails, is what made the view unusable on long text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { contextIndexAt, contextOffsets } from '../../core/jsonOffsets';
import { fileStem, recordToSample } from '../../core/readers/schema';
import { PreviewCancelled, PreviewClient } from '../../core/previewClient';
import type { PreviewPage, PreviewResult } from '../../core/preview';
import {
  DEFAULT_PANEL_SETTINGS,
  INLINE_MAX_BYTES,
  MAX_WINDOW,
  PANEL_SETTING_CHECKS,
  parseFromWebview,
  type FrameView,
  type FromWebview,
  type PanelSettingKey,
  type PanelSettings,
  type PreviewDocument,
  type StateMessage,
  type ToWebview,
} from '../../shared/protocol/frames';
import { JSONL_EXTENSIONS, TEXT_EXTENSIONS } from '../../shared/fileTypes';
import { engineOptions, fieldMapping } from '../config/settings';
import { webviewHtml } from '../common/webviewHtml';

const TEXT_LANGUAGES = new Set(['plaintext', 'markdown', 'restructuredtext', 'latex', 'asciidoc']);
const DEBOUNCE_MS = 80;
/** Frames past the cursor's frame in an early (partial) update: about what the panel shows around it. */
const PARTIAL_AFTER = 1;
/**
 * Frames the webview has not been sent before are sent inline (PNG bytes in the state message) when they are within
 * this many positions of the cursor's frame, which the panel keeps in view: the webview shows them without fetching
 * each through the webview resource path (tens of ms per image in a browser). The others are fetched when scrolled to.
 */
const INLINE_MAX_FRAMES = 24;
/** The window of a first paint, around the cursor's frame: about two screens of thumbnails. */
const FIRST_WINDOW_BEFORE = 12;
const FIRST_WINDOW_AFTER = 36;
/** At most this many frame srcs remembered as sent to the webview (past it, some are sent inline again). */
const SHOWN_MAX = 8192;

/** What the view shows, the host's side: every frame known (the webview gets windows of it). */
interface Snapshot {
  document: PreviewDocument | null;
  message: string | null;
  pages: readonly PreviewPage[];
  /** Whether `pages` is the whole document (false while a render streams in). */
  complete: boolean;
  wordsPerFrame: number;
  width: number;
  height: number;
  rendering: boolean;
  renderMs: number;
}

const EMPTY: Omit<Snapshot, 'document' | 'message'> = {
  pages: [],
  complete: true,
  wordsPerFrame: 0,
  width: 448,
  height: 448,
  rendering: false,
  renderMs: 0,
};

/** The position of the page holding text offset `offset` (pages are in text order), or -1. */
export function pageAt(pages: readonly PreviewPage[], offset: number): number {
  let lo = 0;
  let hi = pages.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = pages[mid].range;
    if (offset < start) {
      hi = mid - 1;
    } else if (offset >= end) {
      lo = mid + 1;
    } else {
      return mid;
    }
  }
  return -1;
}

function wordsPerFrame(pages: readonly PreviewPage[]): number {
  let words = 0;
  for (const p of pages) {
    words += p.words;
  }
  return pages.length ? words / pages.length : 0;
}

/** What the preview shows: text and, for a dataset line, where the context sits in the document. */
interface Target {
  document: vscode.TextDocument;
  info: PreviewDocument;
  text: string;
  /** Maps an offset in `text` to a document offset (identity for a text document). */
  toDocument: (offset: number) => number;
  /** Maps a document offset to an offset in `text`, or -1 if it is outside. */
  fromDocument: (offset: number) => number;
}

export function isTextDocument(document: vscode.TextDocument): boolean {
  const ext = path.extname(document.uri.path).toLowerCase();
  return TEXT_LANGUAGES.has(document.languageId) || (TEXT_EXTENSIONS as readonly string[]).includes(ext);
}

export function isDatasetDocument(document: vscode.TextDocument): boolean {
  return (JSONL_EXTENSIONS as readonly string[]).includes(path.extname(document.uri.path).toLowerCase()) || document.languageId === 'jsonl';
}

export class FramesViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 't2vid.frames';

  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly client: PreviewClient;
  private target: Target | undefined;
  private result: PreviewResult | undefined;
  private state: Snapshot | undefined;
  private version = 0;
  /** The positions the webview last asked for (its viewport), if it has asked since it loaded. */
  private viewport: { start: number; end: number } | undefined;
  /** The next state scrolls the webview to the cursor's frame (a new webview: nothing to keep in view yet). */
  private revealPending = true;
  private timer: NodeJS.Timeout | undefined;
  private rendering = false;
  private lastHighlight = -2;
  private hasFrames = false;
  /** What the last render was asked for (in flight or done): an identical refresh only re-publishes. */
  private requested: { document: vscode.TextDocument; version: number; text: string; options: string; info: string } | undefined;
  /** The srcs posted to the current webview (it has those frames, as URIs or inline). */
  private shown = new Set<string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.client = new PreviewClient(this.cacheDir().fsPath);
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && e.document === vscode.window.activeTextEditor?.document) {
          this.schedule(DEBOUNCE_MS);
        }
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('t2vid')) {
          this.schedule(0);
        }
      }),
    );
  }

  cacheDir(): vscode.Uri {
    return vscode.Uri.joinPath(this.context.globalStorageUri, 'preview-cache');
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [dist, vscode.Uri.joinPath(this.context.extensionUri, 'media'), this.cacheDir()],
    };
    this.shown.clear();
    this.viewport = undefined;
    this.revealPending = true;
    view.webview.html = webviewHtml(view.webview, this.context.extensionUri, 'frames', 'T2Vid Frames', true);
    view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw), undefined, this.disposables);
    // Render while the webview host starts (in a browser, seconds on the first webview of a session): the state is
    // ready by the time the webview asks for it.
    this.schedule(0);
    view.onDidChangeVisibility(
      () => {
        if (view.visible) {
          this.schedule(0);
        }
      },
      undefined,
      this.disposables,
    );
    view.onDidDispose(() => (this.view = undefined), undefined, this.disposables);
  }

  private post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  /** The position of the frame under the editor's cursor, if it is known yet; else -1. */
  private cursorPosition(pages: readonly PreviewPage[], complete: boolean): number {
    const target = this.target;
    const editor = vscode.window.activeTextEditor;
    if (target && editor?.document === target.document && pages.length) {
      const offset = target.fromDocument(target.document.offsetAt(editor.selection.active));
      if (offset >= 0) {
        const at = pageAt(pages, offset);
        return at >= 0 ? at : complete || offset < pages[pages.length - 1].range[1] ? pages.length - 1 : -1;
      }
    }
    return -1;
  }

  /** FrameViews of pages [start, end), with the PNG inline for frames the webview has not been sent (nearest `near` first). */
  private frameViews(pages: readonly PreviewPage[], start: number, end: number, near: number): FrameView[] {
    const webview = this.view?.webview;
    const out: FrameView[] = [];
    for (let at = start; at < end; at++) {
      const p = pages[at];
      out.push({ index: at, src: webview ? webview.asWebviewUri(vscode.Uri.file(p.file)).toString() : '', range: p.range, words: p.words });
    }
    const fresh = out.map((f, i) => i).filter((i) => !this.shown.has(out[i].src));
    fresh.sort((a, b) => Math.abs(start + a - near) - Math.abs(start + b - near));
    for (const i of fresh.slice(0, INLINE_MAX_FRAMES)) {
      try {
        const png = fs.readFileSync(pages[start + i].file);
        if (png.length <= INLINE_MAX_BYTES) {
          out[i] = { ...out[i], data: png.toString('base64') };
        }
      } catch {
        // pruned meanwhile: the webview fetches it
      }
    }
    if (this.shown.size > SHOWN_MAX) {
      this.shown.clear();
    }
    for (const f of out) {
      this.shown.add(f.src);
    }
    return out;
  }

  /** Posts the state: its window is the webview's viewport, or the frames around the cursor's on a first paint. */
  private postState(): void {
    const snapshot = this.state;
    if (!snapshot || !this.view) {
      return;
    }
    const pages = snapshot.pages;
    const count = pages.length;
    let reveal = -1;
    let range: { start: number; end: number };
    const cursor = this.cursorPosition(pages, snapshot.complete);
    if (this.revealPending && cursor >= 0) {
      reveal = cursor;
      this.revealPending = false;
      range = { start: Math.max(0, cursor - FIRST_WINDOW_BEFORE), end: cursor + FIRST_WINDOW_AFTER };
    } else {
      range = this.viewport ?? { start: 0, end: FIRST_WINDOW_AFTER };
    }
    const start = Math.min(range.start, count);
    const end = Math.min(count, range.end, start + MAX_WINDOW);
    const message: StateMessage = {
      type: 'frames/state',
      document: snapshot.document,
      message: snapshot.message,
      settings: this.settings(this.target?.document.uri),
      start,
      frames: this.frameViews(pages, start, end, reveal >= 0 ? reveal : start),
      count,
      complete: snapshot.complete,
      reveal,
      wordsPerFrame: snapshot.wordsPerFrame,
      width: snapshot.width,
      height: snapshot.height,
      rendering: snapshot.rendering,
      renderMs: snapshot.renderMs,
      version: this.version,
    };
    this.post(message);
  }

  /** Answers `frames/requestRange`: the frames at [start, end) of the current state. */
  private postRange(start: number, end: number): void {
    const pages = this.state?.pages ?? [];
    this.viewport = { start, end };
    const from = Math.min(start, pages.length);
    const to = Math.min(end, pages.length);
    this.post({ type: 'frames/range', version: this.version, start: from, frames: this.frameViews(pages, from, to, from) });
  }

  private onMessage(raw: unknown): void {
    const message = parseFromWebview(raw);
    if (!message) {
      this.log.warn(`frames view: ignored an invalid message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    void this.handle(message).catch((e: unknown) => {
      this.log.error(`frames view: ${(e as Error).stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`T2Vid: ${(e as Error).message}`);
    });
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'frames/ready':
        // A new webview document: it has no frames yet, or those of the state it restored (as URIs: it fetches them).
        this.shown = new Set();
        this.viewport = undefined;
        this.revealPending = true;
        this.postState();
        this.schedule(0);
        return;
      case 'frames/requestRange':
        this.postRange(message.start, message.end);
        return;
      case 'frames/selectFrame':
        return this.selectFrame(message.index);
      case 'frames/openFrame': {
        const page = this.state?.pages[message.index];
        if (page) {
          await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(page.file), {
            viewColumn: vscode.ViewColumn.Beside,
            preview: true,
          });
        }
        return;
      }
      case 'frames/updateSetting':
        return this.updateSetting(message.key, message.value);
      case 'frames/exportFrames':
        await vscode.commands.executeCommand('t2vid.exportPreviewFrames');
        return;
      case 'frames/openSettings':
        await vscode.commands.executeCommand('t2vid.openSettings');
        return;
    }
  }

  private async updateSetting(key: PanelSettingKey, value: string | number): Promise<void> {
    if (!PANEL_SETTING_CHECKS[key](value)) {
      return;
    }
    const [section, name] = [`t2vid.${key.split('.')[0]}`, key.split('.')[1]];
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(section).update(name, value, target);
  }

  private async selectFrame(index: number): Promise<void> {
    const page = this.state?.pages[index];
    const target = this.target;
    if (!page || !target) {
      return;
    }
    const document = target.document;
    const editor =
      vscode.window.visibleTextEditors.find((e) => e.document === document) ??
      (await vscode.window.showTextDocument(document, { preserveFocus: false, preview: false }));
    const start = document.positionAt(target.toDocument(page.range[0]));
    const end = document.positionAt(target.toDocument(page.range[1]));
    editor.selection = new vscode.Selection(start, end);
    editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.highlight(index);
  }

  private highlight(index: number): void {
    if (index !== this.lastHighlight) {
      this.lastHighlight = index;
      this.post({ type: 'frames/highlight', index });
    }
  }

  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    const target = this.target;
    if (!target || e.textEditor.document !== target.document) {
      // The cursor left a dataset line that had no sample (invalid JSON, empty): preview the line it is on now.
      if (!target && e.textEditor === vscode.window.activeTextEditor && isDatasetDocument(e.textEditor.document)) {
        this.schedule(DEBOUNCE_MS);
      }
      return;
    }
    if (isDatasetDocument(target.document) && e.selections[0].active.line + 1 !== target.info.line) {
      this.schedule(DEBOUNCE_MS); // another sample
      return;
    }
    // The selection's start: after a frame is selected the cursor sits at its end, which is where the next frame starts.
    const offset = target.fromDocument(target.document.offsetAt(e.selections[0].start));
    const pages = this.state?.pages ?? [];
    const index = offset < 0 ? -1 : pageAt(pages, offset);
    this.highlight(index < 0 && offset >= 0 && pages.length && offset >= pages[pages.length - 1].range[1] ? pages.length - 1 : index);
  }

  /** Pick what to preview from the active editor. */
  private resolveTarget(): { target?: Target; message: string | null } {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      return { message: 'Open a text or Markdown document, or a JSONL dataset, to preview its frames.' };
    }
    const document = editor.document;
    const name = path.basename(document.uri.path) || 'Untitled';
    if (isDatasetDocument(document)) {
      const line = editor.selection.active.line;
      const raw = document.lineAt(line).text;
      if (!raw.trim()) {
        return { message: `${name}, line ${line + 1}: an empty line. Put the cursor on a sample to preview it.` };
      }
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        return { message: `${name}:${line + 1}: not valid JSON (${(e as Error).message}).` };
      }
      const problems: string[] = [];
      const sample = recordToSample(
        value,
        {
          file: document.uri.fsPath,
          stem: fileStem(document.uri.fsPath),
          fields: fieldMapping(document.uri),
          onIssue: (i) => problems.push(i.message),
        },
        { line: line + 1, unit: 'line' },
      );
      if (!sample) {
        return { message: `${name}:${line + 1}: ${problems[0] ?? 'not a sample'}` };
      }
      const lineStart = document.offsetAt(new vscode.Position(line, 0));
      const offsets = contextOffsets(raw, value, sample.context);
      return {
        message: null,
        target: {
          document,
          info: { name, kind: 'sample', line: line + 1 },
          text: sample.context,
          toDocument: (o) => lineStart + (offsets ? offsets[Math.min(o, offsets.length - 1)] : 0),
          fromDocument: (o) => (offsets && o >= lineStart && o <= lineStart + raw.length ? contextIndexAt(offsets, o - lineStart) : -1),
        },
      };
    }
    if (!isTextDocument(document)) {
      return {
        message: `${name} is not a text document. The preview shows .txt and .md documents and JSONL datasets (the sample under the cursor).`,
      };
    }
    const text = document.getText();
    if (!text.trim()) {
      return { message: `${name} is empty: type some text to see its frames.` };
    }
    return { message: null, target: { document, info: { name, kind: 'text' }, text, toDocument: (o) => o, fromDocument: (o) => o } };
  }

  /** The panel's settings; a value a hand-edited settings.json made invalid falls back to its default. */
  private settings(scope?: vscode.ConfigurationScope): PanelSettings {
    const settings = { ...DEFAULT_PANEL_SETTINGS };
    for (const key of Object.keys(DEFAULT_PANEL_SETTINGS) as PanelSettingKey[]) {
      const [section, name] = key.split('.');
      const value = vscode.workspace.getConfiguration(`t2vid.${section}`, scope).get<unknown>(name);
      if (PANEL_SETTING_CHECKS[key](value)) {
        (settings as Record<PanelSettingKey, unknown>)[key] = value;
      }
    }
    return settings;
  }

  private schedule(delay: number): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delay);
  }

  private publish(snapshot: Snapshot): void {
    this.state = snapshot;
    this.version++;
    this.postState();
    this.setHasFrames(snapshot.pages.length > 0);
  }

  /** The `t2vid.hasFrames` context key (frames shown in the view): "Export Previewed Frames" shows in the palette and the view title only then. */
  private setHasFrames(value: boolean): void {
    if (value !== this.hasFrames) {
      this.hasFrames = value;
      void vscode.commands.executeCommand('setContext', 't2vid.hasFrames', value);
    }
  }

  /** Re-render the preview for the active editor (cancelling any render in flight). */
  async refresh(): Promise<void> {
    if (!this.view?.visible) {
      return;
    }
    const { target, message } = this.resolveTarget();
    if (!target) {
      // Keep showing the last document when focus moves to a non-editor (the panel itself, the output).
      if (vscode.window.activeTextEditor || !this.target) {
        this.target = undefined;
        this.result = undefined;
        this.requested = undefined;
        this.publish({ ...EMPTY, document: null, message });
      }
      return;
    }
    let options;
    try {
      options = engineOptions(target.document.uri);
    } catch (e) {
      this.requested = undefined;
      this.publish({ ...EMPTY, document: target.info, message: (e as Error).message });
      return;
    }
    const request = {
      document: target.document,
      version: target.document.version,
      text: target.text,
      options: JSON.stringify(options),
      info: JSON.stringify(target.info),
    };
    const same = this.requested;
    if (
      same &&
      this.target &&
      same.document === request.document &&
      same.version === request.version &&
      same.options === request.options &&
      same.info === request.info &&
      same.text === request.text
    ) {
      // Already rendered or rendering (e.g. the webview's `ready` while the render started at resolve is running).
      // Keep the target object of a render in flight: it checks `this.target === target` when it ends, and a new
      // object for the same request would make it drop its result (the view then stayed on "Loading frames…").
      if (!this.rendering) {
        this.target = target;
        if (this.state) {
          this.publish({ ...this.state });
        }
      }
      return;
    }
    this.requested = request;
    const previous = this.target?.document === target.document && this.state?.document ? this.state : undefined;
    this.target = target;
    this.rendering = true;
    this.publish(
      previous
        ? { ...previous, document: target.info, rendering: true }
        : { ...EMPTY, document: target.info, message: null, complete: false, rendering: true },
    );
    // The frames stream in: those rendered so far, then (after an edit) the previous render's tail until the new
    // frames reach it. After an edit the frames up to the cursor come back first (their layouts are cached).
    let head: PreviewPage[] = [];
    const show = (): void => {
      if (this.target !== target || !this.rendering || !this.state) {
        return;
      }
      const tail = previous ? previous.pages.slice(head.length) : [];
      const pages = tail.length ? [...head, ...tail] : head.slice();
      this.publish({
        ...this.state,
        document: target.info,
        message: null,
        pages,
        complete: !!previous && previous.complete,
        wordsPerFrame: wordsPerFrame(pages),
        width: options.render.width,
        height: options.render.height,
        rendering: true,
      });
    };
    const editor = vscode.window.activeTextEditor;
    const cursor = editor?.document === target.document ? target.fromDocument(target.document.offsetAt(editor.selection.active)) : -1;
    const focus =
      previous && cursor >= 0
        ? {
            offset: cursor,
            after: PARTIAL_AFTER,
            onPartial: (pages: PreviewPage[]) => {
              head = pages;
              show();
            },
          }
        : undefined;
    const onPages = (pages: PreviewPage[]): void => {
      head = head.concat(pages);
      show();
    };
    try {
      const result = await this.client.render(target.text, options, focus, onPages);
      if (this.target !== target) {
        return;
      }
      this.result = result;
      this.rendering = false;
      this.publish({
        document: target.info,
        message: null,
        pages: result.pages,
        complete: true,
        wordsPerFrame: wordsPerFrame(result.pages),
        width: result.width,
        height: result.height,
        rendering: false,
        renderMs: Math.round(result.ms),
      });
      this.lastHighlight = -2;
      if (editor && editor.document === target.document) {
        this.onSelection({ textEditor: editor, selections: editor.selections, kind: undefined });
      }
    } catch (e) {
      if (e instanceof PreviewCancelled) {
        return;
      }
      this.rendering = false;
      this.requested = undefined;
      this.log.error(`preview of ${target.info.name}: ${(e as Error).message}`);
      this.publish({ ...EMPTY, document: target.info, message: `Could not render: ${(e as Error).message}` });
    }
  }

  /** The frames currently previewed, with the document they belong to. */
  current(): { target: Target; result: PreviewResult } | undefined {
    return this.target && this.result && !this.rendering ? { target: this.target, result: this.result } : undefined;
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.client.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
