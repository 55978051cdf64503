/**
 * The results view: every evaluated run side by side (one row per run, one column per benchmark and sub-task), the
 * T2Vid paper's numbers as reference rows, deltas against the baseline run chosen in the dropdown, sorted by
 * clicking a column header (a button in the header cell: keyboard accessible, `aria-sort` on the cell), Export CSV
 * / Export Markdown (the host writes what is shown: the runs in this order, this baseline). Runs of one sweep are
 * one more table and one SVG plot each. All text is set as textContent; the table arrives as a validated message.
 */
import {
  parseToWebview,
  type FromWebview,
  type ResultsColumn,
  type ResultsSweep,
  type ResultsTable,
  type ToWebview,
} from '../../src/shared/protocol/results';
import { BENCH_METRIC, formatDelta, formatScore, sortOrder, sweepSeries, type SortDirection } from '../../src/shared/results';
import { el } from '../shared/dom';
import { createIpc } from '../shared/ipc';
import { button, dropdown, registerComponents } from '../shared/toolkit';
import { legend, sweepPlot } from './plot';

registerComponents();
const ipc = createIpc<ToWebview, FromWebview>(parseToWebview);

/** The sort (by run name, NAME_KEY, or a column's task and metric) and the baseline: what the view persists. */
interface ViewState {
  sortKey: string | null;
  direction: SortDirection;
  baseline: string | null;
}

const saved = ipc.getState() as Partial<ViewState> | undefined;
const view: ViewState = {
  sortKey: typeof saved?.sortKey === 'string' ? saved.sortKey : null,
  direction: saved?.direction === 'ascending' ? 'ascending' : 'descending',
  baseline: typeof saved?.baseline === 'string' ? saved.baseline : null,
};
let table: ResultsTable | undefined;

const app = document.getElementById('app') as HTMLElement;
app.className = 'res-app';

/** The key a sort is remembered by across refreshes (column indices change when columns come and go). */
const columnKey = (c: ResultsColumn): string => `${c.task}\0${c.metric}`;
const NAME_KEY = '\0run';

function persist(): void {
  ipc.setState(view);
}

function columnLabel(c: ResultsColumn): string {
  return c.parent !== undefined && c.task.startsWith(`${c.parent}_`) ? c.task.slice(c.parent.length + 1) : c.task;
}

function columnTitle(c: ResultsColumn): string {
  const notes = [`${c.task} · ${c.metric}`];
  if (c.parent !== undefined) {
    notes.push(`sub-task of ${c.parent}`);
  }
  if (c.computed) {
    notes.push('ours: the sample-weighted mean of its sub-tasks (the evaluator does not report it)');
  }
  if (c.metric === BENCH_METRIC) {
    notes.push("T2Vid's run_bench.sh: pred = GT over its judged predictions, in percent");
  }
  return notes.join('\n');
}

/** The run order of the table as sorted now. */
function runOrder(t: ResultsTable): number[] {
  if (view.sortKey === NAME_KEY) {
    return sortOrder(
      t.runs.map((r) => r.name),
      view.direction,
    );
  }
  const column = view.sortKey === null ? -1 : t.columns.findIndex((c) => columnKey(c) === view.sortKey);
  if (column < 0) {
    return t.runs.map((_, i) => i);
  }
  return sortOrder(
    t.runs.map((r) => r.values[column] ?? null),
    view.direction,
  );
}

function sortBy(key: string): void {
  if (view.sortKey === key) {
    view.direction = view.direction === 'ascending' ? 'descending' : 'ascending';
  } else {
    view.sortKey = key;
    // Scores: best first; names: A to Z.
    view.direction = key === NAME_KEY ? 'ascending' : 'descending';
  }
  persist();
  render();
  // The table was rebuilt: keep the keyboard focus on the header that was used.
  for (const th of document.querySelectorAll<HTMLTableCellElement>('#res-table thead th')) {
    if (th.dataset.key === key) {
      th.querySelector('button')?.focus();
    }
  }
}

/** A header cell whose button sorts by it; `aria-sort` tells which way it is sorted. */
function sortHeader(text: string, subtitle: string | undefined, key: string, title: string, className: string): HTMLTableCellElement {
  const th = el('th', className);
  th.scope = 'col';
  th.dataset.key = key;
  th.setAttribute('aria-sort', view.sortKey === key ? view.direction : 'none');
  const b = el('button', 'res-sort');
  b.type = 'button';
  b.title = `${title}\nSort by this column`;
  b.append(el('span', 'res-sort__label', text));
  if (subtitle) {
    b.append(el('span', 'res-sort__sub', subtitle));
  }
  b.append(el('span', 'res-sort__arrow', view.sortKey === key ? (view.direction === 'ascending' ? '▲' : '▼') : ''));
  b.addEventListener('click', () => sortBy(key));
  th.append(b);
  return th;
}

function valueCell(value: number | null, base: number | null | undefined, isBaseline: boolean): HTMLTableCellElement {
  const td = el('td', 'res-num', formatScore(value));
  td.dataset.value = value === null ? '' : String(value);
  if (value !== null && base !== null && base !== undefined && !isBaseline) {
    const delta = value - base;
    td.dataset.delta = String(delta);
    const span = el('span', `res-delta ${delta > 0 ? 'res-delta--up' : delta < 0 ? 'res-delta--down' : ''}`, ` ${formatDelta(delta)}`);
    td.append(span);
  }
  return td;
}

function renderTable(t: ResultsTable, baseline: number): HTMLElement {
  const wrap = el('div', 'res-table-wrap');
  const tableEl = el('table', 'res-table');
  tableEl.id = 'res-table';
  const caption = el('caption', 'res-caption', 'Scores per run (rows) and benchmark or sub-task (columns); click a header to sort.');
  tableEl.append(caption);
  const head = el('tr');
  head.append(sortHeader('run', undefined, NAME_KEY, 'The run’s folder', 'res-runhead'));
  for (const c of t.columns) {
    const th = sortHeader(
      columnLabel(c),
      c.computed ? `${c.metric} · ours` : c.metric,
      columnKey(c),
      columnTitle(c),
      c.parent ? 'res-sub' : 'res-bench',
    );
    th.dataset.task = c.task;
    th.dataset.metric = c.metric;
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const i of runOrder(t)) {
    const run = t.runs[i]!;
    const tr = el('tr', i === baseline ? 'res-row res-row--baseline' : 'res-row');
    tr.dataset.run = run.name;
    const name = el('th', 'res-run', run.name);
    name.scope = 'row';
    name.title = [
      run.dir,
      run.model ? `model: ${run.model}` : '',
      run.sweepId ? `sweep ${run.sweepId}: ${run.sweepValue ?? ''}` : '',
      `${run.files} results files`,
    ]
      .filter(Boolean)
      .join('\n');
    if (i === baseline) {
      name.append(el('span', 'res-badge', ' baseline'));
    }
    tr.append(name);
    run.values.forEach((v, c) => tr.append(valueCell(v, baseline >= 0 ? t.runs[baseline]!.values[c] : null, i === baseline)));
    body.append(tr);
  }
  tableEl.append(thead, body);
  if (t.reference.length) {
    const foot = el('tbody', 'res-reference');
    for (const ref of t.reference) {
      const tr = el('tr', 'res-row res-row--reference');
      const name = el('th', 'res-run', `Paper: ${ref.setting}`);
      name.scope = 'row';
      name.title = 'Reported in the T2Vid paper (arXiv 2411.19951), for reference';
      tr.append(name);
      for (const c of t.columns) {
        const td = el('td', 'res-num', c.task === ref.task && c.parent === undefined ? formatScore(ref.value) : '');
        td.dataset.value = c.task === ref.task && c.parent === undefined ? String(ref.value) : '';
        tr.append(td);
      }
      foot.append(tr);
    }
    tableEl.append(foot);
  }
  wrap.append(tableEl);
  return wrap;
}

function renderSweep(t: ResultsTable, sweep: ResultsSweep): HTMLElement {
  const box = el('section', 'res-section res-sweep');
  box.dataset.sweep = sweep.id;
  box.append(el('h2', 'res-section__title', `Sweep ${sweep.id}`));
  box.append(
    el(
      'p',
      'res-muted',
      `${sweep.points.length} runs; x: ${sweep.axis}${sweep.kind === 'category' ? ' (in the order the runs ran: the values are not numbers)' : ''}.`,
    ),
  );
  const benchmarks = t.columns
    .map((c, i) => ({ c, i }))
    .filter(({ c, i }) => c.parent === undefined && sweep.points.some((p) => t.runs[p.run]!.values[i] !== null));
  const tableEl = el('table', 'res-table res-sweep-table');
  const head = el('tr');
  for (const text of [sweep.axis, 'run', ...benchmarks.map(({ c }) => `${c.task} · ${c.metric}`)]) {
    const th = el('th', undefined, text);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const p of sweep.points) {
    const run = t.runs[p.run]!;
    const tr = el('tr');
    tr.dataset.run = run.name;
    const x = el('th', undefined, p.label);
    x.scope = 'row';
    tr.append(x, el('td', undefined, run.name));
    for (const { i } of benchmarks) {
      const v = run.values[i] ?? null;
      const td = el('td', 'res-num', formatScore(v));
      td.dataset.value = v === null ? '' : String(v);
      tr.append(td);
    }
    body.append(tr);
  }
  tableEl.append(thead, body);
  const wrap = el('div', 'res-table-wrap');
  wrap.append(tableEl);
  box.append(wrap);
  const series = sweepSeries(
    sweep.points,
    benchmarks.map(({ i }) => i),
    t.runs.map((r) => r.values),
  );
  if (series.length) {
    const names = series.map((s) => {
      const c = t.columns[s.column]!;
      return `${c.task} · ${c.metric}${c.computed ? ' (ours)' : ''}`;
    });
    const plot = el('figure', 'res-figure');
    plot.append(
      sweepPlot(
        {
          series,
          names,
          xs: sweep.points.map((p) => ({ x: p.x, label: p.label })),
          xTitle: sweep.axis,
          runName: (i) => t.runs[i]?.name ?? '',
          categorical: sweep.kind === 'category',
        },
        `Sweep ${sweep.id}: score against ${sweep.axis}, one line per benchmark`,
      ),
      legend(names),
    );
    box.append(plot);
  }
  return box;
}

function render(): void {
  const t = table;
  app.replaceChildren();
  const header = el('div', 'res-header');
  header.append(el('h1', 'res-title', 'Evaluation results'));
  app.append(header);
  if (!t) {
    app.append(el('p', 'res-muted', 'Reading the results…'));
    return;
  }
  if (!t.runs.length) {
    const empty = el('section', 'res-empty');
    empty.id = 'res-empty';
    empty.append(el('p', undefined, 'No evaluation results yet. The view looks for:'));
    const list = el('ul');
    for (const s of t.searched) {
      list.append(el('li', undefined, s));
    }
    empty.append(
      list,
      el(
        'p',
        'res-muted',
        'The view reads them again when results files change (where the workspace’s file watcher reports it), or on Refresh.',
      ),
      refreshButton().element,
    );
    app.append(empty);
    renderErrors(t);
    return;
  }
  const names = t.runs.map((r) => r.name);
  if (view.baseline !== null && !names.includes(view.baseline)) {
    view.baseline = null;
  }
  const baseline = view.baseline === null ? -1 : names.indexOf(view.baseline);
  const controls = el('div', 'res-controls');
  const pick = dropdown({
    id: 'res-baseline',
    label: 'Deltas against',
    options: [{ value: '', label: 'No baseline' }, ...names.map((n) => ({ value: n, label: n }))],
    value: view.baseline ?? '',
    onChange: (value) => {
      view.baseline = value === '' ? null : value;
      persist();
      render();
      document.getElementById('res-baseline')?.focus();
    },
  });
  const order = (): string[] => runOrder(t).map((i) => names[i]!);
  const exportAs = (format: 'csv' | 'markdown'): void =>
    ipc.post({ type: 'results/export', format, order: order(), ...(view.baseline !== null ? { baseline: view.baseline } : {}) });
  controls.append(
    pick.element,
    refreshButton().element,
    button({ label: 'Export CSV…', id: 'res-export-csv', appearance: 'secondary', onClick: () => exportAs('csv') }).element,
    button({ label: 'Export Markdown…', id: 'res-export-md', appearance: 'secondary', onClick: () => exportAs('markdown') }).element,
  );
  header.append(controls);
  // Once connected: the dropdown shows the value it is given only then.
  pick.setValue(view.baseline ?? '');
  app.append(renderTable(t, baseline));
  const notes = el('p', 'res-muted res-note');
  notes.textContent = [
    t.columns.some((c) => c.computed)
      ? '“ours”: a group score the evaluator does not report, the sample-weighted mean of its sub-tasks.'
      : '',
    t.columns.some((c) => c.metric === BENCH_METRIC)
      ? `“${BENCH_METRIC}”: T2Vid’s own evaluation (bench_results), recomputed as pred = GT over its judged predictions.`
      : '',
    t.reference.length ? 'Paper rows: numbers reported in the T2Vid paper, for reference.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  app.append(notes);
  for (const sweep of t.sweeps) {
    app.append(renderSweep(t, sweep));
  }
  renderErrors(t);
}

function refreshButton(): ReturnType<typeof button> {
  return button({
    label: 'Refresh',
    id: 'res-refresh',
    appearance: 'secondary',
    title: 'Read the results files again',
    onClick: () => ipc.post({ type: 'results/refresh' }),
  });
}

function renderErrors(t: ResultsTable): void {
  if (!t.errors.length) {
    return;
  }
  const box = el('details', 'res-errors');
  box.append(el('summary', undefined, `${t.errors.length} results files could not be read`));
  const list = el('ul');
  for (const e of t.errors) {
    list.append(el('li', undefined, e));
  }
  box.append(list);
  app.append(box);
}

render();
ipc.connect(
  (message) => {
    switch (message.type) {
      case 'results/state':
        table = message.table;
        if (message.baseline !== undefined) {
          view.baseline = message.baseline;
          persist();
        }
        render();
        return;
    }
  },
  { type: 'results/ready' },
);
