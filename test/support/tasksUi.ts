/** Driving the tasks UI in the E2E harness: "Tasks: Run Task" by label, the Runs view and its rows. */
import type { Page } from 'playwright-core';
import type { VSCodeSession } from './harness';
import { sleep, until } from './panel';

export async function runTask(v: VSCodeSession, label: string): Promise<void> {
  const page = v.page;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  // The palette row is clicked (Enter could take another "Tasks: Run …" row). A picker closed again by a view that
  // takes the focus while it loads (the Frames webview) is opened again, until it shows the task.
  await until(
    `the task picker showing ${label}`,
    async () => {
      if (!(await row.isVisible().catch(() => false))) {
        await v.runCommand('Tasks: Run Task', { opensInput: true }).catch(() => page.keyboard.press('Escape'));
        await sleep(1500);
      }
      const placeholder = (await input.getAttribute('placeholder').catch(() => null)) ?? '';
      return /task/i.test(placeholder) && (await row.isVisible().catch(() => false)) ? true : undefined;
    },
    120_000,
  ).catch(async (e: Error) => {
    await v.screenshot('tasks-run-task-picker');
    throw e;
  });
  await input.fill(label);
  await sleep(300);
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 30_000 });
}

/** The Runs view's row for the run whose output folder is `name`. */
export function runRow(page: Page, name: string, what = 'finetune · custom') {
  return page.locator('.pane-body .monaco-list-row', { hasText: `${what} · ${name}` }).first();
}

export async function openRuns(v: VSCodeSession): Promise<void> {
  await v.runCommand('T2Vid: Show Runs');
}

/** Reloads the window and waits for the new workbench. */
export async function reloadWindow(v: VSCodeSession): Promise<void> {
  await v.page.evaluate(() => ((globalThis as unknown as { __beforeReload: boolean }).__beforeReload = true));
  await v.runCommand('Developer: Reload Window');
  await until(
    'the workbench reloaded',
    async () =>
      (await v.page.evaluate(() => (globalThis as unknown as { __beforeReload?: boolean }).__beforeReload).catch(() => true))
        ? undefined
        : true,
    60_000,
  );
  await v.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
}
