/**
 * Q&A generation settings (`t2vid.qa.*`, one name per CLI flag: `t2vid.qa.perDoc` ↔ `--per-doc`) and the API key,
 * which lives only in SecretStorage ("T2Vid: Set API Key…"): never in settings, logs or output files.
 */
import * as vscode from 'vscode';
import { OPTION_TABLE, type SettingName } from '../../core/options';
import type { LlmConnection } from '../../core/qa/regenerate';
import { boundsOf } from '../../shared/settings';
import { QA_GENERATORS, type QAGenerator } from '../../shared/vocabulary';

export const API_KEY_SECRET = 't2vid.qa.apiKey';

export interface QASettings {
  generator: QAGenerator;
  perDoc: number;
  seed: number;
  baseUrl: string;
  model: string;
  concurrency: number;
  timeoutMs: number;
  /** 0: no cap. */
  budgetTokens: number;
}

export function qaSettings(scope?: vscode.ConfigurationScope): QASettings {
  const section = vscode.workspace.getConfiguration('t2vid.qa', scope);
  // A value a hand-edited settings.json made invalid falls back to the default.
  const whole = (name: SettingName & `qa.${string}`): number => {
    const fallback = OPTION_TABLE[name].default as number;
    const value = section.get<number>(name.slice('qa.'.length), fallback);
    const { min, max } = boundsOf(name);
    return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
  };
  const generator = section.get<string>('generator', OPTION_TABLE['qa.generator'].default);
  return {
    generator: QA_GENERATORS.find((g) => g === generator) ?? OPTION_TABLE['qa.generator'].default,
    perDoc: whole('qa.perDoc'),
    seed: whole('qa.seed'),
    baseUrl: section.get<string>('baseUrl', '').trim(),
    model: section.get<string>('model', '').trim(),
    concurrency: whole('qa.concurrency'),
    timeoutMs: whole('qa.timeoutMs'),
    budgetTokens: whole('qa.budgetTokens'),
  };
}

/** A local server (Ollama, vLLM, LM Studio on this machine) usually needs no key. */
function isLoopback(baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname;
    return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

export class SettingsError extends Error {
  constructor(
    message: string,
    readonly action?: { label: string; command: string; args?: unknown[] },
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** The endpoint to call: settings + the key from SecretStorage. Throws a SettingsError that says what to set. */
export async function llmConnection(secrets: vscode.SecretStorage, settings: QASettings): Promise<LlmConnection> {
  if (!settings.baseUrl || !settings.model) {
    throw new SettingsError('the LLM generator needs t2vid.qa.baseUrl and t2vid.qa.model (any OpenAI-compatible endpoint)', {
      label: 'Open Settings',
      command: 'workbench.action.openSettings',
      args: ['t2vid.qa'],
    });
  }
  try {
    new URL(settings.baseUrl);
  } catch {
    throw new SettingsError(`t2vid.qa.baseUrl is not a URL: ${settings.baseUrl}`, {
      label: 'Open Settings',
      command: 'workbench.action.openSettings',
      args: ['t2vid.qa.baseUrl'],
    });
  }
  let apiKey = (await secrets.get(API_KEY_SECRET)) ?? '';
  if (!apiKey) {
    if (!isLoopback(settings.baseUrl)) {
      throw new SettingsError(`no API key for ${settings.baseUrl}: run "T2Vid: Set API Key…"`, {
        label: 'Set API Key',
        command: 't2vid.setApiKey',
      });
    }
    apiKey = 'no-key';
  }
  return {
    baseURL: settings.baseUrl,
    apiKey,
    model: settings.model,
    timeoutMs: settings.timeoutMs,
    budgetTokens: settings.budgetTokens || undefined,
  };
}

/** "T2Vid: Set API Key…": stores (or, when left empty, removes) the key in SecretStorage. */
export async function setApiKey(secrets: vscode.SecretStorage): Promise<void> {
  const had = Boolean(await secrets.get(API_KEY_SECRET));
  const value = await vscode.window.showInputBox({
    title: 'T2Vid: API key for the Q&A endpoint',
    prompt: had
      ? 'A key is stored. Enter a new one, or leave empty and press Enter to remove it.'
      : 'Stored in VS Code SecretStorage, never in settings or files.',
    password: true,
    ignoreFocusOut: true,
    placeHolder: 'sk-…',
  });
  if (value === undefined) {
    return;
  }
  if (value.trim() === '') {
    await secrets.delete(API_KEY_SECRET);
    void vscode.window.showInformationMessage('T2Vid: API key removed.');
    return;
  }
  await secrets.store(API_KEY_SECRET, value.trim());
  void vscode.window.showInformationMessage('T2Vid: API key stored in SecretStorage.');
}

/** Shows a settings error with its action button. */
export async function showSettingsError(e: unknown): Promise<void> {
  const message = `T2Vid: ${(e as Error).message}`;
  if (e instanceof SettingsError && e.action) {
    const pick = await vscode.window.showErrorMessage(message, e.action.label);
    if (pick) {
      await vscode.commands.executeCommand(e.action.command, ...(e.action.args ?? []));
    }
    return;
  }
  void vscode.window.showErrorMessage(message);
}
