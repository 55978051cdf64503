/** T2Vid Studio: the thin VS Code shell over src/core. */
import * as vscode from 'vscode';
import { synthesizeActiveDocument } from './synthesizeCommand';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('T2Vid', { log: true });
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand('t2vid.synthesizeActiveDocument', async () => {
      try {
        await synthesizeActiveDocument(log);
      } catch (e) {
        log.error((e as Error).stack ?? String(e));
        void vscode.window.showErrorMessage(`T2Vid: ${(e as Error).message}`);
      }
    }),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
