/**
 * "Regenerate" in the curation editor: a new question for one pair of a sample, from the generator the
 * t2vid.qa.generator setting names (the built-in one with a fresh seed, or the LLM with a cancellable progress
 * notification and the key from SecretStorage).
 */
import * as vscode from 'vscode';
import { regeneratePair } from '../../core/qa/regenerate';
import type { GeneratedPair, QADocument } from '../../core/qa/types';
import { llmConnection, showSettingsError, type QASettings } from '../config/qaSettings';

/** The replacement of pair `pair` of `doc`, or undefined if the LLM settings are not usable (the user was told). */
export async function newPair(
  secrets: vscode.SecretStorage,
  settings: QASettings,
  locale: string,
  doc: QADocument,
  existing: readonly GeneratedPair[],
  pair: number,
): Promise<GeneratedPair | undefined> {
  if (settings.generator !== 'llm') {
    // A new seed per regeneration, so pressing it again gives yet another question.
    const seed = settings.seed + 1 + Math.floor(Math.random() * 1_000_000);
    return regeneratePair(doc, existing, pair, { generator: 'builtin', seed, locale });
  }
  let llm;
  try {
    llm = await llmConnection(secrets, settings);
  } catch (e) {
    void showSettingsError(e);
    return undefined;
  }
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `T2Vid: asking ${settings.model} for a new question`, cancellable: true },
    async (_progress, token) => {
      const controller = new AbortController();
      const cancel = token.onCancellationRequested(() => controller.abort(new Error('cancelled')));
      try {
        return await regeneratePair(doc, existing, pair, { generator: 'llm', llm, signal: controller.signal });
      } finally {
        cancel.dispose();
      }
    },
  );
}
