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

const WEEK_MS = 7 * 24 * 3600 * 1000;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('T2Vid', { log: true });
  const frames = new FramesViewProvider(context, log);
  const { provider: curation, registration: curationEditor } = CurationEditorProvider.register(context, log);
  const preflightProblems = new PreflightProblems();
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
