/**
 * What every webview app needs from its page: the VS Code API handle (typed by the app's outgoing messages) and a
 * createElement helper that only ever sets text (never HTML: the apps show untrusted dataset text).
 */

export interface VsCodeApi<Out> {
  postMessage(message: Out): void;
  getState(): unknown;
  setState<T>(state: T): T;
}
declare function acquireVsCodeApi(): VsCodeApi<never>;

/** The page's VS Code API (acquireVsCodeApi may be called once per page: call this once). */
export function vscodeApi<Out>(): VsCodeApi<Out> {
  return acquireVsCodeApi() as unknown as VsCodeApi<Out>;
}

/** An element with a class and text content. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
