/**
 * The "Frames" webview view: a live preview of the active document (or the dataset sample under the cursor) as the
 * frames the engine would synthesize. Rendering runs in a render process (PreviewClient), debounced, with stale
 * renders cancelled; frames are content-addressed PNGs in the extension's storage, shown through asWebviewUri.
 * The view keeps its last state and replays it when it becomes visible again.
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
const INLINE_AROUND = 12;
const INLINE_MAX_FRAMES = 24;

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
  private state: StateMessage | undefined;
  private version = 0;
  private timer: NodeJS.Timeout | undefined;
  private rendering = false;
  private lastHighlight = -2;
  private hasFrames = false;
  /** What the last render was asked for (in flight or done): an identical refresh only re-publishes. */
  private requested: { document: vscode.TextDocument; version: number; text: string; options: string; info: string } | undefined;
  /** The srcs in the last state posted to the current webview (it has those frames, as URIs or inline). */
  private shown = new Set<string>();
  /** The PNG file of each frame src posted (for inlining). */
  private files = new Map<string, string>();

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
    const view = this.view;
    if (!view) {
      return;
    }
    if (message.type === 'frames/state') {
      message = this.withInline(message);
      this.shown = new Set(message.frames.map((f) => f.src));
    }
    void view.webview.postMessage(message);
  }

  /** The frame position the panel keeps in view: the one under the editor's cursor, else the highlighted one, else 0. */
  private focusPosition(frames: readonly FrameView[]): number {
    const target = this.target;
    const editor = vscode.window.activeTextEditor;
    if (target && editor?.document === target.document) {
      const offset = target.fromDocument(target.document.offsetAt(editor.selection.active));
      if (offset >= 0) {
        const at = frames.findIndex((f) => offset >= f.range[0] && offset < f.range[1]);
        return at >= 0 ? at : frames.length - 1;
      }
    }
    const highlighted = frames.findIndex((f) => f.index === this.lastHighlight);
    return Math.max(0, highlighted);
  }

  /** `state` with the PNG bytes of the frames near the focus that the webview has not been sent before. */
  private withInline(state: StateMessage): StateMessage {
    const frames = state.frames;
    if (!frames.length) {
      return state;
    }
    const focus = this.focusPosition(frames);
    const wanted: number[] = [];
    for (let d = 0; d <= INLINE_AROUND && wanted.length < INLINE_MAX_FRAMES; d++) {
      for (const at of d ? [focus + d, focus - d] : [focus]) {
        if (at >= 0 && at < frames.length && !this.shown.has(frames[at].src) && wanted.length < INLINE_MAX_FRAMES) {
          wanted.push(at);
        }
      }
    }
    if (!wanted.length) {
      return state;
    }
    const out = frames.slice();
    for (const at of wanted) {
      const file = this.files.get(out[at].src);
      try {
        const png = file ? fs.readFileSync(file) : undefined;
        if (png && png.length <= INLINE_MAX_BYTES) {
          out[at] = { ...out[at], data: png.toString('base64') };
        }
      } catch {
        // pruned meanwhile: the webview fetches it
      }
    }
    return { ...state, frames: out };
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
        // A new webview document: it has no frames yet, or those of the state it restored (the last one posted).
        this.shown = new Set(message.restored && this.state ? this.state.frames.map((f) => f.src) : []);
        if (this.state) {
          this.post(this.state);
        }
        this.schedule(0);
        return;
      case 'frames/selectFrame':
        return this.selectFrame(message.index);
      case 'frames/openFrame': {
        const page = this.result?.pages[message.index];
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
    const page = this.result?.pages[index];
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
    const pages = this.result?.pages ?? [];
    const index = offset < 0 ? -1 : pages.findIndex((p) => offset >= p.range[0] && offset < p.range[1]);
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

  private publish(partial: Omit<StateMessage, 'type' | 'version' | 'settings'>, scope?: vscode.ConfigurationScope): void {
    this.state = { type: 'frames/state', ...partial, settings: this.settings(scope), version: ++this.version };
    this.post(this.state);
    this.setHasFrames(partial.frames.length > 0);
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
        this.publish({ document: null, message, frames: [], wordsPerFrame: 0, width: 448, height: 448, rendering: false, renderMs: 0 });
      }
      return;
    }
    let options;
    try {
      options = engineOptions(target.document.uri);
    } catch (e) {
      this.requested = undefined;
      this.publish({
        document: target.info,
        message: (e as Error).message,
        frames: [],
        wordsPerFrame: 0,
        width: 448,
        height: 448,
        rendering: false,
        renderMs: 0,
      });
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
          this.publish({ ...this.state }, target.document.uri);
        }
      }
      return;
    }
    this.requested = request;
    const previous = this.target?.document === target.document && this.state?.document ? this.state : undefined;
    this.target = target;
    this.rendering = true;
    if (this.state) {
      this.publish({ ...this.state, document: target.info, rendering: true }, target.document.uri);
    }
    const webview = this.view?.webview;
    if (this.files.size > 8192) {
      this.files.clear(); // kept for the frames of recent renders only; rebuilt below
    }
    const views = (pages: PreviewPage[]): FrameView[] =>
      pages.map((p) => {
        const src = webview ? webview.asWebviewUri(vscode.Uri.file(p.file)).toString() : '';
        this.files.set(src, p.file);
        return { index: p.index, src, range: p.range, words: p.words };
      });
    // After an edit, the frames up to the cursor come back first (their layouts are cached): show them with the
    // previous tail until the whole document is laid out again.
    const editor = vscode.window.activeTextEditor;
    const cursor = editor?.document === target.document ? target.fromDocument(target.document.offsetAt(editor.selection.active)) : -1;
    const focus =
      previous && cursor >= 0
        ? {
            offset: cursor,
            after: PARTIAL_AFTER,
            onPartial: (pages: PreviewPage[]) => {
              if (this.target === target && this.rendering && this.state) {
                const frames = [...views(pages), ...previous.frames.slice(pages.length)];
                this.publish({ ...this.state, document: target.info, message: null, frames, rendering: true }, target.document.uri);
              }
            },
          }
        : undefined;
    try {
      const result = await this.client.render(target.text, options, focus);
      if (this.target !== target) {
        return;
      }
      this.result = result;
      this.rendering = false;
      const words = result.pages.reduce((n, p) => n + p.words, 0);
      this.publish(
        {
          document: target.info,
          message: null,
          frames: views(result.pages),
          wordsPerFrame: result.pages.length ? words / result.pages.length : 0,
          width: result.width,
          height: result.height,
          rendering: false,
          renderMs: Math.round(result.ms),
        },
        target.document.uri,
      );
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
      this.publish(
        {
          document: target.info,
          message: `Could not render: ${(e as Error).message}`,
          frames: [],
          wordsPerFrame: 0,
          width: 448,
          height: 448,
          rendering: false,
          renderMs: 0,
        },
        target.document.uri,
      );
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
