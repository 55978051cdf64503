/**
 * In-page clocks for the UI benchmarks (bench/ui.ts, bench/curation.ts): a document's clock mapped to Date, and the
 * times of mousedown events in the workbench page, so a latency can run from the user's click to what a webview
 * showed on one time base; and opening the quick input the way a user does.
 */
import type { Frame, Page } from 'playwright-core';

type Any = any;

/** performance.timeOrigin + performance.now() − Date.now(), averaged over 20 ms: maps a document's clock to Date. */
export async function clockOffset(target: Page | Frame): Promise<number> {
  return target.evaluate(() => {
    const p = (globalThis as Any).performance;
    const start = p.now();
    let sum = 0;
    let n = 0;
    while (p.now() - start < 20) {
      sum += p.timeOrigin + p.now() - Date.now();
      n++;
    }
    return sum / n;
  });
}

/** Starts (or restarts) recording mousedown times in the page, as timeOrigin-based milliseconds. */
export async function recordMousedowns(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as Any;
    g.__benchDown = [];
    if (!g.__benchDownInstalled) {
      g.__benchDownInstalled = true;
      g.addEventListener('mousedown', (e: Any) => g.__benchDown.push(g.performance.timeOrigin + e.timeStamp), true);
    }
  });
}

/** The mousedown times recorded since recordMousedowns(). */
export async function mousedowns(page: Page): Promise<number[]> {
  return ((await page.evaluate(() => (globalThis as Any).__benchDown as number[])) as number[] | undefined) ?? [];
}

/**
 * Opens the quick input with a key (F1: command palette, Control+P: Quick Open) and types `value`. If the key
 * press is lost (the workbench did not have the keyboard focus yet), focus the status bar and press again.
 */
export async function openQuickInput(page: Page, key: string, value: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press(key);
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch (e) {
      if (attempt === 3) {
        throw new Error(`${key} did not open the quick input: ${(e as Error).message}`);
      }
      await page
        .locator('.monaco-workbench .part.statusbar')
        .click({ position: { x: 400, y: 5 } })
        .catch(() => undefined);
    }
  }
  await input.fill(value);
}
