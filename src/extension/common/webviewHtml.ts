/** The HTML shell of a webview app: a strict CSP with a nonce, the app's bundle, the shared base stylesheet and the app's own, nothing else. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** `inlineImages`: also allow `data:` images (PNG bytes sent in a validated message). */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, app: string, title: string, inlineImages = false): string {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, `${app}.js`));
  const base = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'vscode.css'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, `${app}.css`));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}${inlineImages ? ' data:' : ''}`,
    // FAST (inside the toolkit) probes :focus-visible with a <style> element that carries the csp-nonce.
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta property="csp-nonce" content="${nonce}"><meta name="viewport" content="width=device-width, initial-scale=1.0"><link href="${base}" rel="stylesheet"><link href="${style}" rel="stylesheet"><title>${title}</title></head><body><div id="app"></div><script nonce="${nonce}" src="${script}"></script></body></html>`;
}
