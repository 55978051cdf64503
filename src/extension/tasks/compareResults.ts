/**
 * "T2Vid: Compare Results": the evaluation runs of the workspace (their lmms-eval results files) side by side, with
 * deltas against a chosen baseline and the paper's numbers, as a Markdown table in VS Code's Markdown preview; Export
 * writes it as CSV or Markdown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compareRuns, comparisonCsv, comparisonMarkdown, readRunResults } from '../../core/tasks/results';
import { writeFileAtomic } from '../../core/util/fsutil';

async function runFolders(): Promise<string[]> {
  const files = await vscode.workspace.findFiles('**/*_results.json', '**/{node_modules,.git,checkpoint-*}/**', 2000);
  // A run's folder: the nearest ancestor holding a run record, else the results file's grandparent (lmms-eval's
  // <output_path>/<model>/<date>_results.json).
  const folders = new Set<string>();
  for (const f of files) {
    let dir = path.dirname(f.fsPath);
    const top = vscode.workspace.getWorkspaceFolder(f)?.uri.fsPath ?? '/';
    let found: string | undefined;
    for (let d = dir; d.startsWith(top) && d !== path.dirname(d); d = path.dirname(d)) {
      if (fs.existsSync(path.join(d, '.t2vid-run.json'))) {
        found = d;
        break;
      }
    }
    dir = found ?? path.dirname(path.dirname(f.fsPath));
    folders.add(dir);
  }
  return [...folders].sort();
}

export async function compareResults(log: vscode.LogOutputChannel, preset?: string[]): Promise<void> {
  let chosen = preset;
  if (!chosen?.length) {
    const folders = await runFolders();
    if (!folders.length) {
      void vscode.window.showInformationMessage('T2Vid: no lmms-eval results (*_results.json) in the workspace yet.');
      return;
    }
    const picks = await vscode.window.showQuickPick(
      folders.map((f) => ({ label: path.basename(f), description: vscode.workspace.asRelativePath(f), folder: f, picked: true })),
      { title: 'Compare the results of which runs?', canPickMany: true, ignoreFocusOut: true },
    );
    chosen = picks?.map((p) => p.folder);
  }
  if (!chosen?.length) {
    return;
  }
  const runs = chosen.map((dir) => readRunResults(dir, (m) => log.warn(m)));
  const base = await vscode.window.showQuickPick([{ label: 'No baseline' }, ...runs.map((r) => ({ label: r.name }))], {
    title: 'Deltas against which run?',
    ignoreFocusOut: true,
  });
  if (!base) {
    return;
  }
  const comparison = compareRuns(runs, base.label === 'No baseline' ? undefined : base.label);
  const md = `# Evaluation results\n\n${comparisonMarkdown(comparison)}`;
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: md });
  await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
  const choice = await vscode.window.showInformationMessage(`T2Vid: ${runs.length} runs compared.`, 'Export CSV…', 'Export Markdown…');
  if (choice) {
    const csv = choice === 'Export CSV…';
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(
        vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file('/'),
        csv ? 'results.csv' : 'results.md',
      ),
      filters: csv ? { CSV: ['csv'] } : { Markdown: ['md'] },
    });
    if (target) {
      await writeFileAtomic(target.fsPath, csv ? comparisonCsv(comparison) : md);
    }
  }
}
