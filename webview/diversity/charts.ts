/**
 * The diversity view's charts, through Apache ECharts (only the charts and components used, from `echarts/core`,
 * canvas-rendered: no eval, no inline script, nothing loaded). Dataset text reaches a chart only as canvas-drawn
 * labels and `richText` tooltips, never as HTML; the map's hover panel is built by main.ts with textContent.
 * Colours come from the `--vscode-*` variables at run time (with light-theme fallbacks for the report file).
 */
import { BarChart, ScatterChart, SunburstChart } from 'echarts/charts';
import { BrushComponent, GridComponent, LegendComponent, TitleComponent, ToolboxComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { DIVERSITY_METRICS } from '../../src/shared/diversity';
import type { DiversityDatasetView, DiversityMapView } from '../../src/shared/protocol/diversity';

echarts.use([
  BarChart,
  ScatterChart,
  SunburstChart,
  BrushComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  ToolboxComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export { echarts };
export type Chart = echarts.ECharts;

/** The theme as the charts use it, read from the page's CSS variables. */
export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  font: string;
  palette: string[];
}

/**
 * A colour without its alpha: some themes give chart colours as translucent overlays (Dark Modern's charts.orange is
 * rgba(234, 92, 0, 0.33)), too faint for a dataset's points.
 */
export function opaque(color: string): string {
  const rgba = /^rgba\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*[\d.]+\s*\)$/i.exec(color);
  if (rgba) {
    return `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})`;
  }
  const hex = /^#([0-9a-f]{6})[0-9a-f]{2}$/i.exec(color) ?? /^#([0-9a-f]{3})[0-9a-f]$/i.exec(color);
  return hex ? `#${hex[1]}` : color;
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => opaque(style.getPropertyValue(name).trim() || fallback);
  return {
    foreground: v('--vscode-foreground', '#333333'),
    muted: v('--vscode-descriptionForeground', '#717171'),
    grid: v('--vscode-editorWidget-border', '#c8c8c8'),
    background: v('--vscode-editor-background', '#ffffff'),
    font: v('--vscode-font-family', 'system-ui, sans-serif'),
    palette: [
      v('--vscode-charts-blue', '#1a85ff'),
      v('--vscode-charts-orange', '#d18616'),
      v('--vscode-charts-green', '#388a34'),
      v('--vscode-charts-purple', '#652d90'),
      v('--vscode-charts-red', '#e51400'),
      v('--vscode-charts-yellow', '#bf8803'),
      v('--vscode-terminal-ansiCyan', '#0598bc'),
      v('--vscode-terminal-ansiMagenta', '#bc05bc'),
    ],
  };
}

const richTooltip = (theme: Theme) => ({
  renderMode: 'richText' as const,
  backgroundColor: theme.background,
  borderColor: theme.grid,
  textStyle: { color: theme.foreground },
});

/** The metrics with a bar chart: every one but the count. */
export const BAR_METRICS = DIVERSITY_METRICS.filter((m) => m.id !== 'instructions');
const BAR_COLUMNS = 4;
const BAR_ROW_PX = 170;

export function barChartHeight(): number {
  return Math.ceil(BAR_METRICS.length / BAR_COLUMNS) * BAR_ROW_PX + 10;
}

/** One small bar chart per metric (a grid each, in one canvas), a bar per dataset. */
export function barsOption(datasets: readonly DiversityDatasetView[], theme: Theme): echarts.EChartsCoreOption {
  const rows = Math.ceil(BAR_METRICS.length / BAR_COLUMNS);
  const cell = (i: number) => ({ col: i % BAR_COLUMNS, row: Math.floor(i / BAR_COLUMNS) });
  const width = 100 / BAR_COLUMNS;
  const height = 100 / rows;
  return {
    animation: false,
    color: theme.palette,
    textStyle: { fontFamily: theme.font, color: theme.foreground },
    tooltip: { ...richTooltip(theme), trigger: 'item' },
    title: BAR_METRICS.map((m, i) => ({
      text: m.label,
      left: `${cell(i).col * width + 1}%`,
      top: `${cell(i).row * height}%`,
      textStyle: { fontSize: 11, fontWeight: 'normal', color: theme.foreground, width: 230, overflow: 'truncate' },
    })),
    grid: BAR_METRICS.map((_, i) => ({
      left: `${cell(i).col * width + 4}%`,
      width: `${width - 6}%`,
      top: `${cell(i).row * height + height * 0.2}%`,
      height: `${height * 0.6}%`,
      containLabel: false,
    })),
    xAxis: BAR_METRICS.map((_, i) => ({
      gridIndex: i,
      type: 'category',
      data: datasets.map((d) => d.label),
      axisLabel: { show: false },
      axisTick: { show: false },
      axisLine: { lineStyle: { color: theme.grid } },
    })),
    yAxis: BAR_METRICS.map((_, i) => ({
      gridIndex: i,
      type: 'value',
      splitNumber: 2,
      axisLabel: { color: theme.muted, fontSize: 10 },
      splitLine: { lineStyle: { color: theme.grid, opacity: 0.5 } },
    })),
    series: BAR_METRICS.map((m, i) => ({
      type: 'bar',
      name: m.label,
      xAxisIndex: i,
      yAxisIndex: i,
      colorBy: 'data',
      data: datasets.map((d) => d.metrics[m.id]?.value ?? null),
    })),
  };
}

/** The verb–noun sunburst of each dataset (top 20 verbs × their top 4 nouns), side by side. */
export function sunburstOption(
  datasets: readonly DiversityDatasetView[],
  theme: Theme,
  width: number,
  height: number,
): echarts.EChartsCoreOption {
  const n = Math.max(1, datasets.length);
  // A radius in % is of half the smaller side: keep each sunburst inside its column and under the titles.
  const radius = Math.min(78, (78 * width) / n / Math.max(1, height));
  return {
    animation: false,
    textStyle: { fontFamily: theme.font, color: theme.foreground },
    tooltip: { ...richTooltip(theme), trigger: 'item' },
    title: datasets.map((d, i) => ({
      text: d.label,
      subtext: `${d.verbNoun.withPair} of ${d.verbNoun.english} English instructions with a verb and its object`,
      left: `${((i + 0.5) / n) * 100}%`,
      textAlign: 'center',
      top: 0,
      textStyle: { fontSize: 12, color: theme.foreground },
      subtextStyle: { fontSize: 10, color: theme.muted },
    })),
    series: datasets.map((d, i) => ({
      type: 'sunburst',
      center: [`${((i + 0.5) / n) * 100}%`, '56%'],
      radius: [0, `${radius}%`],
      sort: undefined,
      nodeClick: false,
      emphasis: { focus: 'ancestor' },
      itemStyle: { borderColor: theme.background, borderWidth: 1 },
      label: { rotate: 'radial', fontSize: 9, color: theme.foreground, minAngle: 6 },
      levels: [{}, { label: { rotate: 'tangential', fontSize: 10 } }, { label: { fontSize: 9 } }],
      data: d.verbNoun.verbs.map((verb, k) => ({
        name: verb.verb,
        value: verb.count,
        itemStyle: { color: theme.palette[k % theme.palette.length] },
        children: verb.nouns.map((noun) => ({ name: noun.noun, value: noun.count })),
      })),
    })),
  };
}

/** The map: a scatter series per dataset (legend toggles it), lasso/rect brush. Data rows are [x, y, point index]. */
export function mapOption(map: DiversityMapView, theme: Theme): echarts.EChartsCoreOption {
  const byDataset: Array<Array<[number, number, number]>> = map.datasets.map(() => []);
  map.points.forEach((p, i) => byDataset[p.dataset]!.push([p.x, p.y, i]));
  return {
    animation: false,
    color: theme.palette,
    textStyle: { fontFamily: theme.font, color: theme.foreground },
    legend: { top: 0, textStyle: { color: theme.foreground }, data: map.datasets },
    toolbox: { right: 10, top: 0, iconStyle: { borderColor: theme.muted }, feature: { brush: { type: ['lasso', 'rect', 'clear'] } } },
    brush: { toolbox: ['lasso', 'rect', 'clear'], xAxisIndex: 0, throttleType: 'debounce', throttleDelay: 200 },
    grid: { left: 10, right: 10, top: 36, bottom: 10 },
    xAxis: { type: 'value', scale: true, show: false },
    yAxis: { type: 'value', scale: true, show: false },
    series: map.datasets.map((label, i) => ({
      type: 'scatter',
      name: label,
      symbolSize: 5,
      data: byDataset[i],
      itemStyle: { opacity: 0.7 },
      emphasis: { scale: 2, itemStyle: { opacity: 1, borderColor: theme.foreground, borderWidth: 1 } },
      large: true,
      largeThreshold: 2000,
      progressive: 0,
    })),
  };
}
