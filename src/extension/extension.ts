/** T2Vid Studio: the thin VS Code shell over src/core. */
import * as vscode from 'vscode';
import { pruneCache } from '../core/preview';
import { exportPreviewFrames } from './exportFrames';
import { FramesViewProvider } from './framesView';
import { synthesizeActiveDocument } from './synthesizeCommand';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('T2Vid', { log: true });
  const frames = new FramesViewProvider(context, log);
  const guarded =
    (run: () => Promise<unknown>) =>
    async (): Promise<void> => {
      try {
        await run();
      } catch (e) {
        log.error((e as Error).stack ?? String(e));
        void vscode.window.showErrorMessage(`T2Vid: ${(e as Error).message}`);
      }
    };
  context.subscriptions.push(
    log,
    frames,
    vscode.window.registerWebviewViewProvider(FramesViewProvider.viewType, frames),
    vscode.commands.registerCommand('t2vid.synthesizeActiveDocument', guarded(() => synthesizeActiveDocument(log))),
    vscode.commands.registerCommand('t2vid.showFrames', guarded(async () => vscode.commands.executeCommand(`${FramesViewProvider.viewType}.focus`))),
    vscode.commands.registerCommand('t2vid.exportPreviewFrames', guarded(() => exportPreviewFrames(frames))),
  );
  void vscode.commands.executeCommand('setContext', 't2vid.previewExtensions', ['.txt', '.md', '.markdown', '.text', '.jsonl', '.ndjson']);
  // Frames not rendered for a week leave the preview cache.
  void pruneCache(frames.cacheDir().fsPath, WEEK_MS).then((n) => n && log.info(`preview cache: removed ${n} old frames`));
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
