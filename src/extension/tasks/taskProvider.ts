/**
 * Tasks of type `t2vid` (tasks.json, "Tasks: Run Task"): a CustomExecution whose Pseudoterminal checks the definition,
 * starts the run through src/core/tasks, streams its log, and ends with its exit code; terminating the task cancels
 * the run (its whole process group). Relative paths in a definition resolve against the workspace folder. Running
 * anything needs a trusted workspace.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describePlan, dryRun, startRun, startSweep, validateTaskSpec } from '../../core/tasks/engine';
import { TASK_TYPE, type TaskSpec } from '../../shared/tasks';
import type { RunsView } from './runsView';

/** The definition as a spec, paths resolved against the folder; throws `tasks.json: $.path: reason`. */
export function specOf(definition: vscode.TaskDefinition, folder: string | undefined): TaskSpec {
  // VS Code's own task fields are not the run's.
  const {
    problemMatcher: _m,
    presentation: _p,
    group: _g,
    dependsOn: _d,
    isBackground: _b,
    options: _o,
    detail: _detail,
    ...own
  } = definition as Record<string, unknown>;
  const spec = validateTaskSpec(own, 'tasks.json (type t2vid)');
  const at = (p: string): string => (folder && !path.isAbsolute(p) ? path.join(folder, p) : p);
  return {
    ...spec,
    output: at(spec.output),
    ...(spec.dataset ? { dataset: at(spec.dataset) } : {}),
    ...(spec.datasets ? { datasets: spec.datasets.map(at) } : {}),
    ...(spec.ssh ? { ssh: { ...spec.ssh, ...sshFiles(spec.ssh, at) } } : {}),
  };
}

/** The ssh key and config files of a definition resolved like its paths (`~/…` is left to ssh, which expands it). */
function sshFiles(ssh: NonNullable<TaskSpec['ssh']>, at: (p: string) => string): Partial<NonNullable<TaskSpec['ssh']>> {
  const file = (p: string): string => (p.startsWith('~') ? p : at(p));
  return {
    ...(ssh.identityFile ? { identityFile: file(ssh.identityFile) } : {}),
    ...(ssh.configFile ? { configFile: file(ssh.configFile) } : {}),
  };
}

/**
 * A task's terminal closes when the user terminates the task, and also when the window reloads or closes: only the
 * first cancels the run. A reload must leave the job running (the next window's Runs view reattaches it), so the
 * cancel waits this long and is dropped once the extension is stopping (its task provider disposed, or its host gone).
 */
const CLOSE_CANCEL_DELAY_MS = 1500;
const pendingCancels = new Set<NodeJS.Timeout>();
let stopping = false;

function extensionStopping(): void {
  stopping = true;
  pendingCancels.forEach((t) => clearTimeout(t));
  pendingCancels.clear();
}

class RunTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private readonly controller = new AbortController();

  constructor(
    private readonly definition: vscode.TaskDefinition,
    private readonly folder: string | undefined,
    private readonly runs: RunsView,
  ) {}

  private print(text: string): void {
    this.write.fire(text.replace(/\r?\n/g, '\r\n'));
  }

  open(): void {
    void this.run();
  }

  close(): void {
    if (stopping) {
      return;
    }
    const timer = setTimeout(() => {
      pendingCancels.delete(timer);
      if (!stopping) {
        this.controller.abort(new Error('cancelled'));
      }
    }, CLOSE_CANCEL_DELAY_MS);
    pendingCancels.add(timer);
  }

  private async run(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.print('T2Vid: running a task needs a trusted workspace (Workspaces: Manage Workspace Trust).\n');
      this.done.fire(1);
      return;
    }
    let spec: TaskSpec;
    try {
      spec = specOf(this.definition, this.folder);
    } catch (e) {
      this.print(`${(e as Error).message}\n`);
      this.done.fire(2);
      return;
    }
    const follows: vscode.Disposable[] = [];
    const followed = new Set<string>();
    try {
      const cb = {
        signal: this.controller.signal,
        onLog: (text: string) => this.print(text),
        onUpdate: (run: { id: string }) => {
          // Every run of this task (a sweep has several) is cancelled through this task's controller.
          if (!followed.has(run.id)) {
            followed.add(run.id);
            follows.push(this.runs.follow(run.id, this.controller));
          }
          void this.runs.refresh();
        },
      };
      this.print(`T2Vid: ${spec.kind} with ${spec.framework} on ${spec.target} → ${spec.output}\n`);
      const records = spec.datasets || spec.evaluate ? await startSweep(spec, cb) : [await startRun(spec, cb)];
      const last = records[records.length - 1];
      this.print(`\nT2Vid: ${records.map((r) => `run ${r.id} ${r.state}`).join(', ')}\n`);
      this.done.fire(last?.state === 'done' ? 0 : (last?.exitCode ?? 1) || 1);
    } catch (e) {
      this.print(`T2Vid: ${(e as Error).message}\n`);
      this.done.fire(1);
    } finally {
      follows.forEach((d) => d.dispose());
      void this.runs.refresh();
    }
  }
}

export function taskFor(
  definition: vscode.TaskDefinition,
  scope: vscode.WorkspaceFolder | vscode.TaskScope,
  name: string,
  runs: RunsView,
): vscode.Task {
  const folder = typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const task = new vscode.Task(
    definition,
    scope,
    name,
    TASK_TYPE,
    new vscode.CustomExecution(async () => new RunTerminal(definition, folder, runs)),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  return task;
}

export function registerTaskProvider(runs: RunsView): vscode.Disposable {
  stopping = false;
  return vscode.Disposable.from(
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      // Tasks come from tasks.json (written by "T2Vid: Fine-tune…" / "Evaluate…", or by hand): nothing is guessed here.
      provideTasks: () => [],
      resolveTask: (task) => taskFor(task.definition, task.scope ?? vscode.TaskScope.Workspace, task.name, runs),
    }),
    { dispose: extensionStopping },
  );
}

/** "T2Vid: Show Task Command": the exact commands of a t2vid task of tasks.json, its files written, nothing run. */
export async function showTaskCommand(log: vscode.LogOutputChannel): Promise<void> {
  const tasks = (await vscode.tasks.fetchTasks({ type: TASK_TYPE })).filter(
    (t) => t.source === 'Workspace' || t.definition.type === TASK_TYPE,
  );
  const pick = await vscode.window.showQuickPick(
    tasks.map((t) => ({
      label: t.name,
      description: `${String(t.definition.kind)} · ${String(t.definition.framework)} · ${String(t.definition.target)}`,
      task: t,
    })),
    { title: 'Show the commands of which T2Vid task?', placeHolder: tasks.length ? undefined : 'No task of type "t2vid" in tasks.json' },
  );
  if (!pick) {
    return;
  }
  const folder = typeof pick.task.scope === 'object' ? pick.task.scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const spec = specOf(pick.task.definition, folder);
  const { plan, files } = await dryRun(spec);
  const text = `# ${pick.task.name}: dry run, nothing was started\n${describePlan(plan)}\n${files.length ? `# written: ${files.join(', ')}\n` : ''}`;
  log.info(text);
  const doc = await vscode.workspace.openTextDocument({ content: text, language: 'shellscript' });
  await vscode.window.showTextDocument(doc, { preview: true });
}
