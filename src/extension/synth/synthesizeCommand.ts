/** "T2Vid: Synthesize Frames from Active Document": the engine on the active editor, with cancellable progress. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatIssue, issueLine, type Sample } from '../../core/model';

import { synthesizeParallel } from '../../core/parallel';
import { fileStem } from '../../core/readers/schema';
import { DATASET_EXTENSIONS } from '../../shared/fileTypes';
import { withAbortSignal } from '../common/cancellation';
import { engineOptions, fieldMapping, outputSettings } from '../config/settings';

/** Where output goes: the setting's folder inside the resource's workspace folder (or beside the file). */
export function outputRoot(resource: vscode.Uri, folder: string): vscode.Uri {
  const workspace = vscode.workspace.getWorkspaceFolder(resource) ?? vscode.workspace.workspaceFolders?.[0];
  if (path.isAbsolute(folder)) {
    if (!vscode.workspace.isTrusted && workspace && !folder.startsWith(workspace.uri.fsPath)) {
      throw new Error('In Restricted Mode the output folder must be inside the workspace');
    }
    return vscode.Uri.file(folder);
  }
  if (workspace) {
    return vscode.Uri.joinPath(workspace.uri, folder);
  }
  if (resource.scheme === 'file') {
    return vscode.Uri.file(path.join(path.dirname(resource.fsPath), folder));
  }
  throw new Error('Open a folder first: T2Vid writes its output into the workspace');
}

export async function synthesizeActiveDocument(log: vscode.LogOutputChannel): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showErrorMessage('T2Vid: open a document first (a .txt/.md text, or a .jsonl/.json dataset).');
    return;
  }
  const document = editor.document;
  const engine = engineOptions(document.uri);
  const output = outputSettings(document.uri);
  const root = outputRoot(document.uri, output.folder);
  if (root.scheme !== 'file') {
    throw new Error(`T2Vid writes frames with the file system of the machine the workspace is on; ${root.toString()} is not on one`);
  }
  const name = document.isUntitled ? 'untitled' : path.basename(document.uri.path);
  const ext = path.extname(name).toLowerCase();
  const asDataset = document.uri.scheme === 'file' && (DATASET_EXTENSIONS as readonly string[]).includes(ext);
  if (asDataset && document.isDirty && !(await document.save())) {
    return;
  }
  const text = document.getText();
  if (!asDataset && !text.trim()) {
    void vscode.window.showWarningMessage(`T2Vid: ${name} is empty: nothing to synthesize.`);
    return;
  }
  const stem = fileStem(name);
  const out = vscode.Uri.joinPath(root, stem).fsPath;
  const samples: Sample[] = asDataset
    ? []
    : [{ id: stem, source: { file: document.uri.scheme === 'file' ? document.uri.fsPath : name, line: 1 }, context: text, qa: [] }];
  log.info(`synthesize ${document.uri.toString()} → ${out} (${JSON.stringify(engine)})`);
  let issues = 0;
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `T2Vid: synthesizing ${name}`, cancellable: true },
    async (progress, token) => {
      let reported = 0;
      return withAbortSignal(token, (signal) =>
        synthesizeParallel({
          inputs: asDataset ? [document.uri.fsPath] : [],
          samples,
          out,
          engine,
          fields: fieldMapping(document.uri),
          format: output.format,
          signal,
          onIssue: (issue) => {
            issues++;
            log.warn(issueLine(issue));
          },
          onSampleError: (error) => log.error(`failed ${formatIssue({ ...error.source, message: `${error.id}: ${error.message}` })}`),
          onProgress: ({ total, done, frames }) => {
            const percent = total ? (100 * done) / total : 0;
            progress.report({ increment: percent - reported, message: `${done}/${total} samples · ${frames} frames` });
            reported = percent;
          },
        }),
      );
    },
  );
  log.info(`${summary.cancelled ? 'cancelled' : 'done'}: ${JSON.stringify({ ...summary, errors: summary.errors.length })}`);
  const folder = vscode.Uri.file(out);
  if (summary.cancelled) {
    void vscode.window.showInformationMessage(`T2Vid: cancelled after ${summary.frames} frames; run the command again to resume.`);
    return;
  }
  const problems = issues + summary.failed;
  const detail = `${summary.frames} frames${summary.resumed ? ` (${summary.resumed} samples already complete)` : ''}${problems ? `; ${problems} problems, see the T2Vid output` : ''}`;
  if (!summary.ok) {
    const pick = await vscode.window.showErrorMessage(`T2Vid: nothing could be synthesized from ${name} (${detail}).`, 'Show Output');
    if (pick) {
      log.show();
    }
    return;
  }
  const actions = ['Reveal in Explorer', ...(summary.dataset ? ['Open Dataset'] : []), ...(problems ? ['Show Output'] : [])];
  const pick = await vscode.window.showInformationMessage(`T2Vid: synthesized ${name}: ${detail}.`, ...actions);
  if (pick === 'Reveal in Explorer') {
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.joinPath(folder, 'frames'));
  } else if (pick === 'Open Dataset' && summary.dataset) {
    await vscode.window.showTextDocument(vscode.Uri.file(summary.dataset));
  } else if (pick === 'Show Output') {
    log.show();
  }
}
