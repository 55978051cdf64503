/**
 * An ssh task in a real VS Code (code-server + Chromium, the extension from the VSIX) against a real sshd on loopback:
 * a `t2vid` task of tasks.json with `target: "ssh"` run from "Tasks: Run Task" trains the torch.distributed payload on
 * the host from a real export; the window is reloaded mid-run (the following extension host goes away, the job on the
 * host does not), and the Runs view of the new window reattaches it and sees it done, with the whole log.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RUN_FILE, type RunRecord } from '../../src/shared/tasks';
import { repoRoot, suiteSession } from '../support/harness';
import { sharedData } from '../support/helpers';
import { until } from '../support/panel';
import { startSshd, type Sshd } from '../support/sshd';
import { openRuns, reloadWindow, runRow, runTask } from '../support/tasksUi';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const PAYLOAD = path.join(repoRoot(), 'test', 'fixtures', 'tasks', 'train_ddp.py');
const STEPS = 24;

describe('an ssh task in VS Code', () => {
  const { dir, vscode } = suiteSession({});
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 't2vid-e2e-host-'));
  const sshdDir = path.join(hostDir, 'sshd');
  let sshd: Sshd | undefined;
  before(async () => {
    sshd = await startSshd(sshdDir);
  });
  after(async () => {
    await sshd?.stop();
    fs.rmSync(hostDir, { recursive: true, force: true });
  });

  const line = fs.readFileSync(sharedData('long-text', 'leval-coursera.jsonl'), 'utf8').split('\n')[0];
  fs.writeFileSync(path.join(dir, 'lecture.jsonl'), line + '\n');
  for (const args of [
    ['synth', 'lecture.jsonl', '--out', 'synth', '--quiet'],
    ['export', 'synth', '--format', 'ms-swift', '--out', 'swift', '--quiet'],
  ]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  fs.mkdirSync(path.join(dir, '.vscode'));
  fs.writeFileSync(
    path.join(dir, '.vscode', 'tasks.json'),
    JSON.stringify(
      {
        version: '2.0.0',
        tasks: [
          {
            label: 't2vid: ssh fine-tune',
            type: 't2vid',
            problemMatcher: [],
            kind: 'finetune',
            framework: 'custom',
            target: 'ssh',
            dataset: 'swift/ms-swift.jsonl',
            output: 'runs/remote',
            // The host alias, port, key and known host come from the test's client config (ssh -F).
            ssh: {
              host: 't2vid-test-host',
              configFile: path.join(sshdDir, 'ssh_config'),
              workdir: path.join(hostDir, 'work'),
              sync: 'rsync',
            },
            command: [
              '/usr/bin/python3',
              PAYLOAD,
              '--data',
              path.join(dir, 'swift', 'ms-swift.jsonl'),
              '--output',
              '.',
              '--max-steps',
              String(STEPS),
              '--step-seconds',
              '0.75',
            ],
          },
        ],
      },
      null,
      2,
    ),
  );

  test(
    'Run Task runs it on the host; after a window reload the Runs view reattaches it and sees it done',
    { timeout: 400_000 },
    async () => {
      const v = vscode();
      const out = path.join(dir, 'runs', 'remote');
      await openRuns(v);
      await runTask(v, 't2vid: ssh fine-tune');
      const row = runRow(v.page, 'remote');
      await until(
        'the ssh run running in the Runs view',
        async () => (((await row.textContent().catch(() => null)) ?? '').includes('running · ssh') ? true : undefined),
        120_000,
      );
      await until(
        'the log streamed from the host',
        async () => (/step 3\//.test(fs.readFileSync(path.join(out, 'run.log'), 'utf8')) ? true : undefined),
        120_000,
      );
      await reloadWindow(v);
      // The new window's palette knows the extension's commands once its extension host is up.
      await until(
        'the Runs view after the reload',
        async () =>
          openRuns(v).then(
            () => true,
            () => v.page.keyboard.press('Escape').then(() => undefined),
          ),
        120_000,
      );
      const after = runRow(v.page, 'remote');
      await until(
        'the reattached run done in the Runs view',
        async () => {
          const text = (await after.textContent().catch(() => null)) ?? '';
          return text.includes('done · ssh') || text.includes('failed · ssh') ? true : undefined;
        },
        240_000,
      ).catch(async (e: Error) => {
        await v.screenshot('ssh-task-after-reload');
        const file = path.join(out, RUN_FILE);
        throw new Error(
          `${e.message}\nrow: ${await after.textContent().catch(() => null)}\nrecord: ${fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : 'none'}\nlog: ${fs.existsSync(path.join(out, 'run.log')) ? fs.readFileSync(path.join(out, 'run.log'), 'utf8') : 'none'}`,
        );
      });
      const record = JSON.parse(fs.readFileSync(path.join(out, RUN_FILE), 'utf8')) as RunRecord;
      const local = fs.readFileSync(record.log, 'utf8');
      assert.equal(record.state, 'done', local);
      assert.equal(local, fs.readFileSync(record.remoteLog!, 'utf8'), 'the local copy is the remote log, once');
      for (let s = 1; s <= STEPS; s++) {
        assert.equal(local.split(`step ${s}/${STEPS} `).length - 1, 1, `step ${s} once`);
      }
      assert.equal((JSON.parse(fs.readFileSync(path.join(out, 'train_done.json'), 'utf8')) as { steps: number }).steps, STEPS);
    },
  );
});
