/** VS Code's CancellationToken → the AbortSignal that src/core takes: one bridge for every command and editor. */
import type * as vscode from 'vscode';

/**
 * Runs `run` with an AbortSignal that aborts (with `Error('cancelled')`) when `token` is cancelled, including a token
 * cancelled before the call; the token's listener is removed when `run` settles.
 */
export async function withAbortSignal<T>(token: vscode.CancellationToken, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = (): void => controller.abort(new Error('cancelled'));
  if (token.isCancellationRequested) {
    abort();
  }
  const listener = token.onCancellationRequested(abort);
  try {
    return await run(controller.signal);
  } finally {
    listener.dispose();
  }
}
