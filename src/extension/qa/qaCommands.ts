/**
 * "T2Vid: Generate Q&A for Active Document" / "… for Dataset…" (generateQA from src/core, with cancellable progress,
 * resumable: running it again continues where it stopped) and "T2Vid: Open Curation Editor".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatIssue, issueLine } from '../../core/model';
import { generateQA, type QARunOptions } from '../../core/qa/run';
import { fileStem } from '../../core/readers/schema';
import { DATASET_EXTENSIONS, SUPPORTED_EXTENSIONS } from '../../shared/fileTypes';
import { withAbortSignal } from '../common/cancellation';
import { CurationEditorProvider } from '../curation/provider';
import { llmConnection, qaSettings, showSettingsError } from '../config/qaSettings';
import { engineOptions, fieldMapping, outputSettings } from '../config/settings';
import { outputRoot } from '../synth/synthesizeCommand';

const isOneOf = (list: readonly string[], ext: string): boolean => list.includes(ext);

/** Runs generateQA with a progress notification; opens the result in the curation editor. */
async function runGeneration(
  secrets: vscode.SecretStorage,
  log: vscode.LogOutputChannel,
  inputs: string[],
  out: string,
  scope: vscode.Uri,
  label: string,
): Promise<void> {
  const settings = qaSettings(scope);
  const engine = engineOptions(scope);
  let llm: QARunOptions['llm'];
  if (settings.generator === 'llm') {
    try {
      llm = await llmConnection(secrets, settings);
    } catch (e) {
      await showSettingsError(e);
      return;
    }
  }
  log.info(
    `qa ${inputs.join(', ')} → ${out} (generator ${settings.generator}${llm ? `, ${llm.model} at ${llm.baseURL}` : ''}, ${settings.perDoc} per document)`,
  );
  let issues = 0;
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `T2Vid: Q&A for ${label}`, cancellable: true },
    async (progress, token) => {
      let reported = 0;
      return withAbortSignal(token, (signal) =>
        generateQA({
          inputs,
          out,
          engine,
          fields: fieldMapping(scope),
          generator: settings.generator,
          perDoc: settings.perDoc,
          seed: settings.seed,
          concurrency: settings.concurrency,
          llm,
          signal,
          onIssue: (issue) => {
            issues++;
            log.warn(issueLine(issue));
          },
          onSampleError: (error) => log.error(`failed ${formatIssue({ ...error.source, message: `${error.id}: ${error.message}` })}`),
          onProgress: ({ total, done, pairs }) => {
            const percent = total ? (100 * done) / total : 0;
            progress.report({ increment: percent - reported, message: `${done}/${total} documents · ${pairs} pairs` });
            reported = percent;
          },
        }),
      );
    },
  );
  log.info(`qa ${summary.cancelled ? 'cancelled' : 'done'}: ${JSON.stringify({ ...summary, errors: summary.errors.length })}`);
  const problems = issues + summary.failed;
  const detail = `${summary.pairs} new pairs${summary.resumed ? `, ${summary.resumed} documents already done` : ''}${problems ? `; ${problems} problems, see the T2Vid output` : ''}${summary.budgetExhausted ? '; the token budget was reached' : ''}`;
  if (summary.cancelled) {
    void vscode.window.showInformationMessage(`T2Vid: Q&A cancelled (${detail}); run the command again to resume.`);
  } else if (!summary.ok && summary.generated + summary.resumed === 0) {
    const pick = await vscode.window.showErrorMessage(`T2Vid: no Q&A could be generated for ${label} (${detail}).`, 'Show Output');
    if (pick) {
      log.show();
    }
    return;
  } else if (problems) {
    void vscode.window.showWarningMessage(`T2Vid: Q&A for ${label}: ${detail}.`, 'Show Output').then((pick) => pick && log.show());
  }
  if (fs.existsSync(out)) {
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(out), CurationEditorProvider.viewType);
  }
}

export async function generateQAForActiveDocument(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (!document) {
    void vscode.window.showErrorMessage('T2Vid: open a document first (a .txt/.md text, or a .jsonl/.json dataset).');
    return;
  }
  const name = document.isUntitled ? 'untitled.txt' : path.basename(document.uri.path);
  const ext = path.extname(name).toLowerCase();
  if (document.uri.scheme !== 'file' && !document.isUntitled) {
    throw new Error(
      `T2Vid reads documents with the file system of the machine the workspace is on; ${document.uri.toString()} is not on one`,
    );
  }
  const root = outputRoot(document.uri, outputSettings(document.uri).folder);
  const out = path.join(root.fsPath, `${fileStem(name)}.t2vid.jsonl`);
  let input: string;
  if (isOneOf(DATASET_EXTENSIONS, ext) && !document.isUntitled) {
    if (document.isDirty && !(await document.save())) {
      return;
    }
    input = document.uri.fsPath;
  } else {
    if (!document.getText().trim()) {
      void vscode.window.showWarningMessage(`T2Vid: ${name} is empty: nothing to ask about.`);
      return;
    }
    if (!document.isUntitled && !document.isDirty && isOneOf(SUPPORTED_EXTENSIONS, ext)) {
      input = document.uri.fsPath;
    } else {
      // Unsaved text: generate from what is on screen (a temporary copy with the document's name).
      const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 't2vid-qa-'));
      input = path.join(dir, isOneOf(SUPPORTED_EXTENSIONS, ext) ? name : `${fileStem(name)}.txt`);
      await fs.promises.writeFile(input, document.getText());
    }
  }
  await runGeneration(secrets, log, [input], out, document.uri, name);
}

export async function generateQAForDataset(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel, uri?: vscode.Uri): Promise<void> {
  const picked = uri
    ? [uri]
    : await vscode.window.showOpenDialog({
        title: 'T2Vid: Generate Q&A for Dataset',
        canSelectMany: true,
        openLabel: 'Generate Q&A',
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        filters: { 'Datasets and texts': SUPPORTED_EXTENSIONS.map((e) => e.slice(1)) },
      });
  if (!picked?.length) {
    return;
  }
  const local = picked.filter((u) => u.scheme === 'file');
  if (local.length !== picked.length) {
    throw new Error('T2Vid reads datasets with the file system of the machine the workspace is on');
  }
  const root = outputRoot(local[0], outputSettings(local[0]).folder);
  const name = local.length === 1 ? path.basename(local[0].fsPath) : `${local.length} files`;
  const out = path.join(
    root.fsPath,
    `${fileStem(path.basename(local[0].fsPath))}${local.length > 1 ? `-and-${local.length - 1}-more` : ''}.t2vid.jsonl`,
  );
  await runGeneration(
    secrets,
    log,
    local.map((u) => u.fsPath),
    out,
    local[0],
    name,
  );
}

/** The file of the active tab, also when VS Code did not hand it to extensions (a text file over 50 MB). */
function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
}

export async function openCurationEditor(uri?: vscode.Uri): Promise<void> {
  let target = uri ?? vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
  if (!target || !/\.(jsonl|ndjson)$/i.test(target.path)) {
    const picked = await vscode.window.showOpenDialog({
      title: 'T2Vid: Open Curation Editor',
      canSelectMany: false,
      openLabel: 'Open',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: { 'JSONL datasets': ['jsonl', 'ndjson'] },
    });
    target = picked?.[0];
  }
  if (target) {
    await vscode.commands.executeCommand('vscode.openWith', target, CurationEditorProvider.viewType);
  }
}
