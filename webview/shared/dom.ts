/**
 * DOM helpers every webview app uses. Only ever sets text (never HTML: the apps show untrusted dataset text); a
 * unit test forbids innerHTML and its relatives in every file under webview/.
 */

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
