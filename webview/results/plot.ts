/**
 * A sweep's line plot as SVG built with DOM APIs (no chart library: a few lines and points): score against the
 * swept value, one line per benchmark, axis ticks and titles, a legend, and each point's value as an SVG <title>
 * (the tooltip). Colours come from the theme's chart colours (classes in results.css), so it follows the theme.
 */
import type { SweepSeries } from '../../src/shared/results';

const SVG = 'http://www.w3.org/2000/svg';
/** Series colours (results.css `.res-series-<i>`); more lines reuse them. */
export const SERIES_COLOURS = 6;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    return [lo];
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push(+t.toFixed(10));
  }
  return out;
}

export interface PlotInput {
  series: SweepSeries[];
  /** Each series' name (its benchmark and metric), by series index. */
  names: string[];
  /** The swept values: x and what the axis shows there. */
  xs: Array<{ x: number; label: string }>;
  xTitle: string;
  /** Run names by run index (for the tooltips). */
  runName: (run: number) => string;
  /** `category`: the x values are places, evenly spaced. */
  categorical: boolean;
}

/** The plot: an <svg> with role img and a label; `data-points` on each circle's group for tests and tools. */
export function sweepPlot(input: PlotInput, label: string): SVGSVGElement {
  const width = 640;
  const height = 320;
  const m = { left: 56, right: 16, top: 12, bottom: 52 };
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label, class: 'res-plot' });
  root.append(svg('title', {}, label));
  const allY = input.series.flatMap((s) => s.points.map((p) => p.y));
  const xVals = input.xs.map((p) => p.x);
  let [y0, y1] = [Math.min(...allY), Math.max(...allY)];
  if (!(y1 > y0)) {
    [y0, y1] = [y0 - 1, y1 + 1];
  }
  const pad = (y1 - y0) * 0.08;
  [y0, y1] = [y0 - pad, y1 + pad];
  let [x0, x1] = [Math.min(...xVals), Math.max(...xVals)];
  if (!(x1 > x0)) {
    [x0, x1] = [x0 - 1, x1 + 1];
  }
  if (input.categorical) {
    [x0, x1] = [x0 - 0.5, x1 + 0.5];
  }
  const px = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * (width - m.left - m.right);
  const py = (y: number): number => height - m.bottom - ((y - y0) / (y1 - y0)) * (height - m.top - m.bottom);
  const axes = svg('g', { class: 'res-plot__axes' });
  axes.append(
    svg('line', { x1: m.left, y1: height - m.bottom, x2: width - m.right, y2: height - m.bottom }),
    svg('line', { x1: m.left, y1: m.top, x2: m.left, y2: height - m.bottom }),
  );
  for (const t of ticks(y0, y1)) {
    const y = py(t);
    axes.append(
      svg('line', { x1: m.left - 4, y1: y, x2: width - m.right, y2: y, class: 'res-plot__grid' }),
      svg('text', { x: m.left - 6, y: y + 4, 'text-anchor': 'end' }, String(+t.toFixed(2))),
    );
  }
  // x ticks: the swept values themselves (few, and the ones that mean something).
  for (const p of input.xs) {
    const x = px(p.x);
    axes.append(
      svg('line', { x1: x, y1: height - m.bottom, x2: x, y2: height - m.bottom + 4 }),
      svg('text', { x, y: height - m.bottom + 16, 'text-anchor': 'middle', class: 'res-plot__xtick' }, p.label),
    );
  }
  axes.append(
    svg('text', { x: (m.left + width - m.right) / 2, y: height - 8, 'text-anchor': 'middle', class: 'res-plot__title' }, input.xTitle),
    svg(
      'text',
      {
        x: 14,
        y: (m.top + height - m.bottom) / 2,
        'text-anchor': 'middle',
        transform: `rotate(-90 14 ${(m.top + height - m.bottom) / 2})`,
        class: 'res-plot__title',
      },
      'score',
    ),
  );
  root.append(axes);
  input.series.forEach((s, i) => {
    const g = svg('g', { class: `res-series res-series-${i % SERIES_COLOURS}`, 'data-series': input.names[i] ?? '' });
    g.append(svg('title', {}, input.names[i] ?? ''));
    if (s.points.length > 1) {
      g.append(svg('polyline', { points: s.points.map((p) => `${px(p.x)},${py(p.y)}`).join(' '), fill: 'none' }));
    }
    for (const p of s.points) {
      const dot = svg('circle', { cx: px(p.x), cy: py(p.y), r: 4, 'data-run': input.runName(p.run), 'data-x': p.x, 'data-y': p.y });
      const at = input.xs.find((q) => q.x === p.x)?.label ?? String(p.x);
      dot.append(svg('title', {}, `${input.names[i]}\n${input.runName(p.run)} (${at}): ${+p.y.toFixed(2)}`));
      g.append(dot);
    }
    root.append(g);
  });
  return root;
}

/** The legend: one entry per line, its colour and its name (HTML, beside the SVG, so it wraps). */
export function legend(names: string[]): HTMLElement {
  const list = document.createElement('ul');
  list.className = 'res-legend';
  names.forEach((name, i) => {
    const item = document.createElement('li');
    const swatch = document.createElementNS(SVG, 'svg');
    swatch.setAttribute('width', '18');
    swatch.setAttribute('height', '10');
    swatch.setAttribute('aria-hidden', 'true');
    swatch.setAttribute('class', `res-series res-series-${i % SERIES_COLOURS}`);
    const line = document.createElementNS(SVG, 'line');
    for (const [k, v] of Object.entries({ x1: 0, y1: 5, x2: 18, y2: 5 })) {
      line.setAttribute(k, String(v));
    }
    swatch.append(line);
    const text = document.createElement('span');
    text.textContent = name;
    item.append(swatch, text);
    list.append(item);
  });
  return list;
}
