/** "Export these frames": copy the previewed frames next to the document, with a manifest of their source ranges. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fileStem } from '../../core/readers/schema';
import { frameFileName } from '../../core/synth';
import { engineVersion } from '../../core/version';
import type { FramesViewProvider } from './framesView';
import { engineOptions } from '../config/settings';

export async function exportPreviewFrames(view: FramesViewProvider): Promise<vscode.Uri | undefined> {
  const current = view.current();
  if (!current || !current.result.pages.length) {
    void vscode.window.showWarningMessage('T2Vid: no frames to export yet. Open a document with the Frames view visible.');
    return undefined;
  }
  const { target, result } = current;
  const document = target.document;
  const stem = fileStem(path.basename(document.uri.path));
  const name = target.info.kind === 'sample' ? `${stem}-line${target.info.line}-frames` : `${stem}-frames`;
  let parent: vscode.Uri | undefined;
  if (!document.isUntitled && document.uri.scheme === 'file') {
    parent = vscode.Uri.joinPath(document.uri, '..');
  } else {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export Frames Here' });
    parent = picked?.[0];
  }
  if (!parent) {
    return undefined;
  }
  const folder = vscode.Uri.joinPath(parent, name);
  await vscode.workspace.fs.createDirectory(folder);
  const frames = [];
  for (const page of result.pages) {
    const file = frameFileName(page.index);
    await vscode.workspace.fs.copy(vscode.Uri.file(page.file), vscode.Uri.joinPath(folder, file), { overwrite: true });
    frames.push({ index: page.index, path: file, range: page.range, words: page.words });
  }
  const manifest = {
    source: { file: document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.toString(), line: target.info.line ?? 1 },
    engine: { name: 't2vid-studio', version: engineVersion() },
    options: engineOptions(document.uri),
    frames,
  };
  await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'manifest.json'), Buffer.from(JSON.stringify(manifest, null, 1)));
  const pick = await vscode.window.showInformationMessage(`T2Vid: exported ${frames.length} frames to ${name}.`, 'Reveal in Explorer');
  if (pick) {
    await vscode.commands.executeCommand('revealInExplorer', folder);
  }
  return folder;
}
