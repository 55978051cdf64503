/**
 * The instruction-diversity app: in the VS Code panel (results arrive as validated messages) and in an exported
 * report.html (results read from the page's JSON data block, no host). It shows the side-by-side metric table
 * (definition and sample size as the cell's title), a bar chart per metric, the verb–noun sunburst and the map
 * (hover shows the instruction, click opens it at its line — in VS Code —, legend and lasso filter). Dataset text is
 * untrusted: it is set as textContent or drawn on a canvas, never parsed as HTML.
 */
import { DIVERSITY_METRICS } from '../../src/shared/diversity';
import {
  parseDiversityResults,
  parseToWebview,
  type DiversityChart,
  type DiversityResults,
  type FromWebview,
  type ToWebview,
} from '../../src/shared/protocol/diversity';
import { el } from '../shared/dom';
import { createIpc, type Ipc } from '../shared/ipc';
import { barChartHeight, barsOption, echarts, mapOption, readTheme, sunburstOption, type Chart } from './charts';

/** The id of the JSON data block of a report (core/diversity/report.ts REPORT_DATA_ID). */
const REPORT_DATA_ID = 't2vid-diversity-data';
/** Instructions the selection list shows at most. */
const SELECTION_LIST = 200;

declare const acquireVsCodeApi: unknown;
const inVsCode = typeof acquireVsCodeApi === 'function';
const ipc: Ipc<ToWebview, FromWebview> | undefined = inVsCode ? createIpc<ToWebview, FromWebview>(parseToWebview) : undefined;

const app = document.getElementById('app') as HTMLElement;
app.className = 'div-app';
const status = el('p', 'div-status');
status.setAttribute('role', 'status');
app.append(status);

let charts: Chart[] = [];
/** Renders so far: a deferred chart of an older render is not drawn. */
let renders = 0;

function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (unit === 'count') {
    return String(value);
  }
  if (unit === 'share') {
    return `${(value * 100).toFixed(1)} %`;
  }
  if (unit === 'words' || unit === 'bits' || unit === 'effective count') {
    return value.toFixed(2);
  }
  return value.toFixed(4);
}

function section(title: string, id: string, ...actions: HTMLElement[]): HTMLElement {
  const box = el('section', 'div-section');
  box.id = id;
  const head = el('div', 'div-section__head');
  head.append(el('h2', 'div-section__title', title), ...actions);
  box.append(head);
  return box;
}

function actionButton(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', 'div-button', label);
  b.type = 'button';
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

/** Saves a chart as PNG: through the host's save dialog in VS Code, as a download in a report. */
function savePng(chart: Chart, name: DiversityChart): void {
  const dataUrl = chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: readTheme().background });
  if (ipc) {
    ipc.post({ type: 'diversity/savePng', chart: name, dataUrl });
    return;
  }
  const a = el('a');
  a.href = dataUrl;
  a.download = `diversity-${name}.png`;
  a.click();
}

function chartBox(className: string, height: number): HTMLElement {
  const box = el('div', `div-chart ${className}`);
  box.style.height = `${height}px`;
  return box;
}

function renderTable(results: DiversityResults): HTMLElement {
  const { datasets } = results.report;
  const table = el('table', 'div-table');
  table.id = 'div-metrics';
  const head = el('tr');
  head.append(el('th', undefined, 'metric'));
  for (const d of datasets) {
    const th = el('th', 'div-num', d.label);
    th.title = `${d.files.join('\n')}\n${d.instructionsRead} instructions read`;
    head.append(th);
  }
  table.append(el('thead'));
  table.tHead!.append(head);
  const body = el('tbody');
  for (const m of DIVERSITY_METRICS) {
    const tr = el('tr');
    tr.dataset.metric = m.id;
    const name = el('th', 'div-metric', m.label);
    name.scope = 'row';
    name.title = m.higher === 'neutral' ? m.unit : `higher = more ${m.higher} (${m.unit})`;
    tr.append(name);
    for (const d of datasets) {
      const value = d.metrics[m.id];
      const td = el('td', 'div-num', formatValue(value?.value, m.unit));
      td.dataset.value = value?.value === null || value?.value === undefined ? '' : String(value.value);
      if (value) {
        td.title = `${value.definition}\nsample size: ${value.sampleSize}`;
      }
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  return table;
}

function renderResults(results: DiversityResults, cached: boolean): void {
  const started = performance.now();
  shown = { results, cached };
  for (const chart of charts) {
    chart.dispose();
  }
  charts = [];
  app.replaceChildren();
  const theme = readTheme();
  const { report, map } = results;
  const head = el('header', 'div-header');
  head.append(
    el('h1', 'div-title', `Instruction diversity: ${report.datasets.map((d) => d.label).join(' · ')}`),
    el(
      'span',
      'div-muted',
      `seed ${report.seed}${report.sample !== null ? `, sample ${report.sample}` : ''}${cached ? ' · from the cache' : ''}`,
    ),
  );
  if (ipc) {
    head.append(
      actionButton('Export Report…', 'Write report.html (self-contained) and report.json', () =>
        ipc.post({ type: 'diversity/exportReport' }),
      ),
    );
  }
  app.append(head);

  const tableSection = section('Metrics', 'div-table-section');
  tableSection.append(el('div', 'div-table-wrap'));
  tableSection.lastElementChild!.append(renderTable(results));
  const english = report.datasets.filter((d) => d.verbNoun.english < d.verbNoun.total);
  if (english.length) {
    tableSection.append(
      el(
        'p',
        'div-note',
        `Verb–noun metrics are English only: ${english.map((d) => `${d.label} ${d.verbNoun.english} of ${d.verbNoun.total}`).join(', ')} instructions analysed.`,
      ),
    );
  }
  app.append(tableSection);

  // The map first among the charts: it is what a curator looks at.
  const mapBox = chartBox('div-map', 520);
  const hover = el('div', 'div-hover');
  hover.id = 'div-hover';
  hover.setAttribute('aria-live', 'polite');
  hover.textContent = 'Hover a point to read its instruction; click it to open it in its file.';
  const selection = el('div', 'div-selection');
  selection.id = 'div-selection';
  let mapChart: Chart | undefined;
  const mapSection = section(
    `Map (${map.points.length} instructions)`,
    'div-map-section',
    actionButton('Save as PNG', 'Save the map as a PNG image', () => mapChart && savePng(mapChart, 'map')),
  );
  mapSection.title = map.definition;
  mapSection.dataset.points = String(map.points.length);
  mapSection.append(mapBox, hover, selection);
  app.append(mapSection);

  const sunBox = chartBox('div-sunburst', 440);
  let sunChart: Chart | undefined;
  const sunSection = section(
    'Verb–noun (top 20 verbs × 4 objects)',
    'div-sunburst-section',
    actionButton('Save as PNG', 'Save the sunburst as a PNG image', () => sunChart && savePng(sunChart, 'sunburst')),
  );
  sunSection.append(sunBox);
  app.append(sunSection);

  const barsBox = chartBox('div-bars', barChartHeight());
  let barsChart: Chart | undefined;
  const barsSection = section(
    'Metrics by dataset',
    'div-bars-section',
    actionButton('Save as PNG', 'Save the bar charts as a PNG image', () => barsChart && savePng(barsChart, 'bars')),
  );
  barsSection.append(barsBox);
  app.append(barsSection);

  // The table and the map paint first; the sunburst and the bars (about as long again to draw) in the frame after.
  mapChart = echarts.init(mapBox, undefined, { renderer: 'canvas' });
  mapChart.setOption(mapOption(map, theme));
  charts = [mapChart];
  wireMap(mapChart, results, hover, selection);
  const generation = ++renders;
  requestAnimationFrame(() => {
    // Render time since the results were ready, and (in a report) the time since navigation.
    document.body.dataset.firstPaintMs = (performance.now() - started).toFixed(1);
    document.body.dataset.pageMs = performance.now().toFixed(1);
    setTimeout(() => {
      if (generation !== renders) {
        return;
      }
      sunChart = echarts.init(sunBox, undefined, { renderer: 'canvas' });
      sunChart.setOption(sunburstOption(report.datasets, theme, sunBox.clientWidth, sunBox.clientHeight));
      barsChart = echarts.init(barsBox, undefined, { renderer: 'canvas' });
      barsChart.setOption(barsOption(report.datasets, theme));
      charts.push(sunChart, barsChart);
      requestAnimationFrame(() => {
        document.body.dataset.allChartsMs = (performance.now() - started).toFixed(1);
      });
    }, 0);
  });
}

function pointIndex(data: unknown): number | undefined {
  return Array.isArray(data) && typeof data[2] === 'number' ? data[2] : undefined;
}

function wireMap(chart: Chart, results: DiversityResults, hover: HTMLElement, selection: HTMLElement): void {
  const { map } = results;
  const showPoint = (index: number): void => {
    const p = map.points[index]!;
    hover.replaceChildren(
      el('span', 'div-hover__dataset', map.datasets[p.dataset]),
      el('span', 'div-muted', ` ${p.file.split(/[\\/]/).pop()}:${p.unit === 'row' ? 'row ' : ''}${p.line}`),
      el('div', 'div-hover__text', p.text),
    );
    hover.dataset.point = String(index);
  };
  chart.on('mouseover', (params: { seriesType?: string; data?: unknown }) => {
    const index = params.seriesType === 'scatter' ? pointIndex(params.data) : undefined;
    if (index !== undefined) {
      showPoint(index);
    }
  });
  chart.on('click', (params: { seriesType?: string; data?: unknown }) => {
    const index = params.seriesType === 'scatter' ? pointIndex(params.data) : undefined;
    if (index !== undefined && ipc) {
      ipc.post({ type: 'diversity/openPoint', point: index });
    }
  });
  // ECharts' own brush selection skips large scatter series (they keep no per-point layout): test each point's pixel
  // against the brushed areas here, for the datasets the legend shows.
  chart.on('brushselected', (raw: unknown) => {
    const params = raw as { batch?: Array<{ areas?: Array<{ brushType?: string; range?: unknown }> }> };
    const areas = params.batch?.[0]?.areas ?? [];
    const shownSets = (chart.getOption() as { legend?: Array<{ selected?: Record<string, boolean> }> }).legend?.[0]?.selected ?? {};
    const origin = chart.convertToPixel({ gridIndex: 0 }, [0, 0]) as number[];
    const ex = chart.convertToPixel({ gridIndex: 0 }, [1, 0]) as number[];
    const ey = chart.convertToPixel({ gridIndex: 0 }, [0, 1]) as number[];
    const inArea = (px: number, py: number): boolean =>
      areas.some((area) => {
        if (area.brushType === 'rect') {
          const [[x0, x1], [y0, y1]] = area.range as number[][] as [[number, number], [number, number]];
          return px >= x0 && px <= x1 && py >= y0 && py <= y1;
        }
        if (area.brushType === 'polygon') {
          return insidePolygon(area.range as Array<[number, number]>, px, py);
        }
        return false;
      });
    const picked: number[] = [];
    map.points.forEach((p, i) => {
      if (shownSets[map.datasets[p.dataset]!] === false) {
        return;
      }
      const px = origin[0]! + p.x * (ex[0]! - origin[0]!) + p.y * (ey[0]! - origin[0]!);
      const py = origin[1]! + p.x * (ex[1]! - origin[1]!) + p.y * (ey[1]! - origin[1]!);
      if (inArea(px, py)) {
        picked.push(i);
      }
    });
    showSelection(picked, results, selection);
  });
  // Automation (and the end-to-end test) can find a point on the canvas: its pixel in the chart's box, and its source.
  (window as unknown as { t2vidMap?: unknown }).t2vidMap = {
    count: map.points.length,
    pixel: (index: number): number[] | undefined => {
      const p = map.points[index];
      return p ? (chart.convertToPixel({ seriesIndex: p.dataset }, [p.x, p.y]) as number[]) : undefined;
    },
    point: (index: number) => {
      const p = map.points[index];
      return p && { dataset: p.dataset, file: p.file, line: p.line, unit: p.unit, text: p.text, x: p.x, y: p.y };
    },
    /** Selects the points inside a data-space area, as the rect brush (`[[x0, x1], [y0, y1]]`) or the lasso does. */
    brush: (brushType: 'rect' | 'polygon', coordRange: number[][]): void => {
      chart.dispatchAction({ type: 'brush', areas: [{ brushType, xAxisIndex: 0, coordRange }] });
    },
  };
}

/** Even–odd rule: whether (x, y) lies inside the polygon. */
function insidePolygon(polygon: ReadonlyArray<[number, number]>, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

/** The lasso/brush selection: counts per dataset and the first instructions, each opening its line on click. */
function showSelection(picked: number[], results: DiversityResults, selection: HTMLElement): void {
  const { map } = results;
  selection.replaceChildren();
  if (!picked.length) {
    return;
  }
  const counts = map.datasets.map((label, i) => `${label} ${picked.filter((p) => map.points[p]!.dataset === i).length}`);
  selection.append(el('p', 'div-muted', `Selected ${picked.length}: ${counts.join(', ')}`));
  const list = el('ol', 'div-selection__list');
  for (const index of picked.slice(0, SELECTION_LIST)) {
    const p = map.points[index]!;
    const item = el('li', 'div-selection__item');
    item.append(el('span', 'div-hover__dataset', map.datasets[p.dataset]), el('span', undefined, ` ${p.text}`));
    if (ipc) {
      item.tabIndex = 0;
      item.title = `Open ${p.file}:${p.line}`;
      const open = (): void => ipc.post({ type: 'diversity/openPoint', point: index });
      item.addEventListener('click', open);
      item.addEventListener('keydown', (e) => e.key === 'Enter' && open());
    }
    list.append(item);
  }
  selection.append(list);
  if (picked.length > SELECTION_LIST) {
    selection.append(el('p', 'div-muted', `… and ${picked.length - SELECTION_LIST} more`));
  }
}

window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

/** The results shown, drawn again when the VS Code theme changes (the charts' colours come from its variables). */
let shown: { results: DiversityResults; cached: boolean } | undefined;
new MutationObserver(() => {
  if (shown) {
    renderResults(shown.results, shown.cached);
  }
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });

if (ipc) {
  status.textContent = 'Starting…';
  ipc.connect(
    (message) => {
      switch (message.type) {
        case 'diversity/progress':
          status.textContent = message.text;
          return;
        case 'diversity/error':
          status.textContent = message.text;
          status.classList.add('div-status--error');
          return;
        case 'diversity/results':
          renderResults(message.results, message.cached);
          return;
      }
    },
    { type: 'diversity/ready' },
  );
} else {
  // A report file: the results are the page's JSON data block.
  const block = document.getElementById(REPORT_DATA_ID);
  let results: DiversityResults | undefined;
  try {
    results = parseDiversityResults(JSON.parse(block?.textContent ?? 'null'));
  } catch {
    results = undefined;
  }
  if (results) {
    renderResults(results, false);
  } else {
    status.textContent = 'This report holds no valid diversity results.';
  }
}
