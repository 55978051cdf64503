/** T2Vid Studio: the thin VS Code shell over src/core. */
import * as vscode from 'vscode';
import { pruneCache } from '../core/preview';
import { REVIEW_COMMANDS } from '../shared/protocol/curation';
import { CurationEditorProvider } from './curation/provider';
import { exportPreviewFrames } from './frames/exportFrames';
import { FramesViewProvider } from './frames/framesView';
import { assembleTrainingSet, runAssembleConfig } from './assemble/assembleCommand';
import { PreflightProblems } from './assemble/preflightProblems';
import { showInstructionDiversity } from './diversity/panel';
import { generateQAForActiveDocument, generateQAForDataset, openCurationEditor } from './qa/qaCommands';
import { setApiKey } from './config/qaSettings';
import { synthesizeActiveDocument } from './synth/synthesizeCommand';
import { showResults } from './tasks/resultsPanel';
import { RunsView } from './tasks/runsView';
import { taskFlow } from './tasks/taskFlows';
import { registerTaskProvider, showTaskCommand, taskFor } from './tasks/taskProvider';
import { TASK_TYPE, type RunRecord } from '../shared/tasks';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('T2Vid', { log: true });
  const frames = new FramesViewProvider(context, log);
  const { provider: curation, registration: curationEditor } = CurationEditorProvider.register(context, log);
  const preflightProblems = new PreflightProblems();
  const runs = new RunsView(log);
  const runAgain = async (run: RunRecord): Promise<void> => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    await vscode.tasks.executeTask(
      taskFor(
        { type: TASK_TYPE, ...run.spec },
        folder ?? vscode.TaskScope.Workspace,
        `t2vid: ${run.spec.kind} ${run.spec.framework} → ${run.spec.output}`,
        runs,
      ),
    );
  };
  const guarded =
    <A extends unknown[]>(run: (...args: A) => Promise<unknown>) =>
    async (...args: A): Promise<void> => {
      try {
        await run(...args);
      } catch (e) {
        log.error((e as Error).stack ?? String(e));
        void vscode.window.showErrorMessage(`T2Vid: ${(e as Error).message}`);
      }
    };
  context.subscriptions.push(
    log,
    frames,
    vscode.window.registerWebviewViewProvider(FramesViewProvider.viewType, frames),
    vscode.commands.registerCommand(
      't2vid.synthesizeActiveDocument',
      guarded(() => synthesizeActiveDocument(log)),
    ),
    vscode.commands.registerCommand(
      't2vid.showFrames',
      guarded(async () => vscode.commands.executeCommand(`${FramesViewProvider.viewType}.focus`)),
    ),
    vscode.commands.registerCommand(
      't2vid.exportPreviewFrames',
      guarded(() => exportPreviewFrames(frames)),
    ),
    curationEditor,
    vscode.commands.registerCommand(
      't2vid.openCurationEditor',
      guarded((uri?: vscode.Uri) => openCurationEditor(uri)),
    ),
    vscode.commands.registerCommand(
      't2vid.generateQAForActiveDocument',
      guarded(() => generateQAForActiveDocument(context.secrets, log)),
    ),
    vscode.commands.registerCommand(
      't2vid.generateQAForDataset',
      guarded((uri?: vscode.Uri) => generateQAForDataset(context.secrets, log, uri)),
    ),
    vscode.commands.registerCommand(
      't2vid.showInstructionDiversity',
      guarded((uri?: vscode.Uri, uris?: vscode.Uri[]) =>
        showInstructionDiversity(context, log, uri instanceof vscode.Uri ? uri : undefined, uris),
      ),
    ),
    preflightProblems,
    runs,
    vscode.window.registerTreeDataProvider(RunsView.viewId, runs),
    registerTaskProvider(runs),
    vscode.commands.registerCommand(
      't2vid.fineTune',
      guarded(() => taskFlow('finetune')),
    ),
    vscode.commands.registerCommand(
      't2vid.evaluate',
      guarded(() => taskFlow('eval')),
    ),
    vscode.commands.registerCommand(
      't2vid.showRuns',
      guarded(async () => vscode.commands.executeCommand(`${RunsView.viewId}.focus`)),
    ),
    vscode.commands.registerCommand(
      't2vid.showTaskCommand',
      guarded(() => showTaskCommand(log)),
    ),
    vscode.commands.registerCommand(
      't2vid.runs.openLog',
      guarded(async (run: RunRecord) => vscode.window.showTextDocument(vscode.Uri.file(run.log), { preview: true })),
    ),
    vscode.commands.registerCommand(
      't2vid.runs.cancel',
      guarded((run: RunRecord) => runs.cancel(run)),
    ),
    vscode.commands.registerCommand(
      't2vid.runs.resume',
      guarded((run: RunRecord) => runAgain(run)),
    ),
    vscode.commands.registerCommand(
      't2vid.runs.rerun',
      guarded((run: RunRecord) => runAgain(run)),
    ),
    vscode.commands.registerCommand(
      't2vid.runs.revealOutput',
      guarded(async (run: RunRecord) => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(run.spec.output))),
    ),
    vscode.commands.registerCommand(
      't2vid.runs.refresh',
      guarded(() => runs.refresh()),
    ),
    vscode.commands.registerCommand(
      't2vid.compareResults',
      guarded(async (run?: RunRecord) => showResults(context, log, run?.spec?.output)),
    ),
    vscode.commands.registerCommand(
      't2vid.assembleTrainingSet',
      guarded(() => assembleTrainingSet(preflightProblems, log)),
    ),
    vscode.commands.registerCommand(
      't2vid.runAssembleConfig',
      guarded((uri?: vscode.Uri) => runAssembleConfig(preflightProblems, log, uri instanceof vscode.Uri ? uri : undefined)),
    ),
    vscode.commands.registerCommand(
      't2vid.preflightTrainingSet',
      guarded((uri?: vscode.Uri) => preflightProblems.run(uri instanceof vscode.Uri ? uri : undefined)),
    ),
    vscode.commands.registerCommand(
      't2vid.setApiKey',
      guarded(() => setApiKey(context.secrets)),
    ),
    vscode.commands.registerCommand(
      't2vid.openSettings',
      guarded(async () => vscode.commands.executeCommand('workbench.action.openSettings', 't2vid.')),
    ),
    ...REVIEW_COMMANDS.map((command) => vscode.commands.registerCommand(`t2vid.curation.${command}`, () => curation.command(command))),
  );
  // Frames not rendered for a week leave the preview cache.
  void pruneCache(frames.cacheDir().fsPath, WEEK_MS).then((n) => n && log.info(`preview cache: removed ${n} old frames`));
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
