/**
 * Static SVG charts of a simulation, rendered in Node with ECharts' server-side renderer (no DOM, no
 * script in the output): a service's requests per second against its pods (two y-axes), cluster series,
 * a node pool's nodes against their lower bound, and bars of node-hours per pool. The x-axis of time
 * charts is local clock time of the scenario.
 */
import * as echarts from 'echarts';
import type { PoolOutcome, ServiceSeries, SimulationResult } from './result';
import { localHourOfDay } from './traces';

export interface ChartSize {
  width: number;
  height: number;
}

export interface LineSeries {
  name: string;
  /** `null`: no value at that point (a gap in the line). */
  values: readonly (number | null)[];
  color: string;
  /** 0: left axis, 1: right axis. */
  axis?: 0 | 1;
  step?: boolean;
  dashed?: boolean;
  area?: boolean;
}

export interface TimeChart {
  title: string;
  /** Hours since the scenario start of each point. */
  hours: readonly number[];
  series: LineSeries[];
  axisNames: [string, string?];
  /** Whole numbers only on the axes (pods, nodes). */
  integerAxes?: [boolean, boolean?];
}

const COLORS = {
  load: '#5470c6',
  replicas: '#ee6666',
  ready: '#3ba272',
  nodes: '#5470c6',
  readyNodes: '#3ba272',
  pending: '#fc8452',
  requested: '#ee6666',
  allocatable: '#5470c6',
  unplaceable: '#9a60b4',
  desired: '#fac858',
  lowerBound: '#91cc75',
} as const;

/** Categories with two values each (grouped bars). */
export interface BarChart {
  title: string;
  categories: readonly string[];
  series: { name: string; values: readonly number[]; color: string }[];
  axisName: string;
}

/**
 * The layout every chart shares, in px. ECharts lays the SVG out in Node with its own estimate of text
 * widths, and a browser draws the texts in its own font (Debian's Chromium: DejaVu Sans, wider), so
 * texts that ECharts placed side by side can run into each other. The title therefore has a band of its
 * own: it ends above `GRID_TOP - AXIS_NAME_GAP - AXIS_NAME_FONT_SIZE`, where the axis names begin, so a
 * title as wide as the chart still clears them.
 */
export const CHART_LAYOUT = {
  titleTop: 4,
  titleFontSize: 12,
  /** The smallest a long title is shrunk to. */
  minTitleFontSize: 9,
  /** Space left and right of the title. */
  titleMargin: 8,
  gridTop: 46,
  /** Between an axis name's baseline and the top of the grid. */
  axisNameGap: 8,
  axisNameFontSize: 9,
  /** The legend's row and the x-axis labels above it. */
  gridBottom: 44,
} as const;

/**
 * Width of a bold character relative to the font size, on the wide side (DejaVu Sans Bold averages
 * about 0.65 over mixed lower-case text and punctuation), to size titles for the browser's font.
 */
const BOLD_CHARACTER_WIDTH = 0.7;

/**
 * The title's font size: the default, or smaller so that the title fits the chart's width in a wide
 * font (down to `minTitleFontSize`).
 *
 * @example titleFontSize('Nodes', 560) // 12
 */
export function titleFontSize(title: string, width: number): number {
  const room = width - 2 * CHART_LAYOUT.titleMargin;
  const fits = Math.floor(room / (Math.max(1, title.length) * BOLD_CHARACTER_WIDTH));
  return Math.max(CHART_LAYOUT.minTitleFontSize, Math.min(CHART_LAYOUT.titleFontSize, fits));
}

/** The ECharts `title` option of a chart of that width. */
export function chartTitle(text: string, width: number): Record<string, unknown> {
  return {
    text,
    left: 'center',
    top: CHART_LAYOUT.titleTop,
    padding: 0,
    textStyle: { fontSize: titleFontSize(text, width), fontWeight: 'bold' },
  };
}

/** The ECharts options of a y-axis name: small, just above the grid, below the title's band. */
function axisName(name: string | undefined): Record<string, unknown> {
  return {
    name,
    nameGap: CHART_LAYOUT.axisNameGap,
    nameTextStyle: { fontSize: CHART_LAYOUT.axisNameFontSize, verticalAlign: 'bottom' },
  };
}

function axisInterval(durationHours: number): number {
  if (durationHours <= 3) return 0.5;
  if (durationHours <= 8) return 1;
  if (durationHours <= 24) return 3;
  return 6;
}

function clockLabel(startLocalHour: number, hoursSinceStart: number): string {
  const minutes = Math.round(((((startLocalHour + hoursSinceStart) % 24) + 24) % 24) * 60) % (24 * 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * Renders one time chart to an SVG string. `intervalHours` spaces the x-axis labels (default: by the
 * duration, from half an hour to six hours).
 */
export function renderTimeChart(
  chart: TimeChart,
  size: ChartSize,
  time: { startLocalHour: number; durationHours: number; intervalHours?: number },
): string {
  const instance = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width,
    height: size.height,
  });
  try {
    const twoAxes = chart.axisNames[1] !== undefined;
    instance.setOption({
      animation: false,
      title: chartTitle(chart.title, size.width),
      legend: {
        bottom: 0,
        itemWidth: 14,
        itemHeight: 6,
        textStyle: { fontSize: 10 },
        data: chart.series.map((series) => series.name),
      },
      grid: {
        left: 48,
        right: twoAxes ? 40 : 16,
        top: CHART_LAYOUT.gridTop,
        bottom: CHART_LAYOUT.gridBottom,
      },
      xAxis: {
        type: 'value',
        min: 0,
        max: time.durationHours,
        interval: time.intervalHours ?? axisInterval(time.durationHours),
        axisLabel: { fontSize: 9, formatter: (value: number) => clockLabel(time.startLocalHour, value) },
        splitLine: { show: false },
      },
      yAxis: [
        {
          type: 'value',
          ...axisName(chart.axisNames[0]),
          axisLabel: { fontSize: 9 },
          min: 0,
          ...(chart.integerAxes?.[0] ? { minInterval: 1 } : {}),
        },
        ...(twoAxes
          ? [
              {
                type: 'value',
                ...axisName(chart.axisNames[1]),
                axisLabel: { fontSize: 9 },
                min: 0,
                splitLine: { show: false },
                ...(chart.integerAxes?.[1] ? { minInterval: 1 } : {}),
              },
            ]
          : []),
      ],
      series: chart.series.map((series) => ({
        name: series.name,
        type: 'line',
        yAxisIndex: series.axis ?? 0,
        showSymbol: false,
        ...(series.step ? { step: 'end' } : {}),
        color: series.color,
        lineStyle: { width: 1.2, color: series.color, ...(series.dashed ? { type: 'dashed' } : {}) },
        ...(series.area ? { areaStyle: { opacity: 0.15, color: series.color } } : {}),
        data: series.values.map((value, i) => [chart.hours[i] ?? 0, value]),
      })),
    });
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}

/** Renders a grouped bar chart to an SVG string, each bar labelled with its value. */
export function renderBarChart(chart: BarChart, size: ChartSize): string {
  const instance = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width,
    height: size.height,
  });
  try {
    instance.setOption({
      animation: false,
      title: chartTitle(chart.title, size.width),
      legend: {
        bottom: 0,
        itemWidth: 14,
        itemHeight: 6,
        textStyle: { fontSize: 10 },
        data: chart.series.map((series) => series.name),
      },
      grid: { left: 48, right: 16, top: CHART_LAYOUT.gridTop, bottom: CHART_LAYOUT.gridBottom },
      xAxis: { type: 'category', data: [...chart.categories], axisLabel: { fontSize: 10 } },
      yAxis: {
        type: 'value',
        ...axisName(chart.axisName),
        axisLabel: { fontSize: 9 },
        min: 0,
      },
      series: chart.series.map((series) => ({
        name: series.name,
        type: 'bar',
        color: series.color,
        label: { show: true, position: 'top', fontSize: 9 },
        data: series.values.map((value) => Math.round(value)),
      })),
    });
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}

/** The "requests per second vs pods" chart of one service. */
export function serviceChart(title: string, hours: readonly number[], series: ServiceSeries): TimeChart {
  return {
    title,
    hours,
    axisNames: ['requests/s', 'pods'],
    integerAxes: [false, true],
    series: [
      { name: 'requests/s', values: series.rps, color: COLORS.load, area: true },
      { name: 'replicas', values: series.specReplicas, color: COLORS.replicas, axis: 1, step: true },
      {
        name: 'ready pods',
        values: series.readyPods,
        color: COLORS.ready,
        axis: 1,
        step: true,
        dashed: true,
      },
    ],
  };
}

export const CLUSTER_CHART_TITLES = {
  nodes: 'Nodes',
  pending: 'Pending pods',
  cpu: 'CPU requested vs allocatable (cores)',
} as const;

export const NODE_HOURS_CHART_TITLE = 'Node-hours vs lower bound';

/** A pool's chart title, e.g. `Pool default (m5.2xlarge on-demand)`. */
export function poolChartTitle(pool: Pick<PoolOutcome, 'name' | 'planningInstanceType' | 'capacityType'>) {
  return `Pool ${pool.name} (${pool.planningInstanceType} ${pool.capacityType})`;
}

/** A pool's nodes and desired capacity over the run against the lower bound of the pods on them. */
export function poolChart(
  pool: PoolOutcome,
  hours: readonly number[],
  series: { nodes: readonly number[]; desired: readonly number[]; lowerBound: readonly number[] },
): TimeChart {
  return {
    title: poolChartTitle(pool),
    hours,
    axisNames: ['nodes'],
    integerAxes: [true],
    series: [
      { name: 'lower bound', values: series.lowerBound, color: COLORS.lowerBound, step: true, area: true },
      { name: 'desired', values: series.desired, color: COLORS.desired, step: true, dashed: true },
      { name: 'nodes', values: series.nodes, color: COLORS.nodes, step: true },
    ],
  };
}

/** Node-hours of each pool next to the lower bound of the pods they ran. */
export function nodeHoursChart(pools: readonly PoolOutcome[]): BarChart {
  return {
    title: NODE_HOURS_CHART_TITLE,
    categories: pools.map((pool) => pool.name),
    axisName: 'node-hours',
    series: [
      { name: 'node-hours', values: pools.map((pool) => pool.nodeHours), color: COLORS.nodes },
      {
        name: 'lower bound',
        values: pools.map((pool) => pool.lowerBoundNodeHours),
        color: COLORS.lowerBound,
      },
    ],
  };
}

/** The cluster-level charts: nodes, pending pods, CPU requested against allocatable. */
export function clusterCharts(result: SimulationResult, hours: readonly number[]): TimeChart[] {
  const cluster = result.series.cluster;
  const cores = (values: number[]) => values.map((value) => Math.round(value / 10) / 100);
  return [
    {
      title: CLUSTER_CHART_TITLES.nodes,
      hours,
      axisNames: ['nodes'],
      integerAxes: [true],
      series: [
        { name: 'nodes', values: cluster.nodes, color: COLORS.nodes, step: true },
        { name: 'ready', values: cluster.readyNodes, color: COLORS.readyNodes, step: true, dashed: true },
      ],
    },
    {
      title: CLUSTER_CHART_TITLES.pending,
      hours,
      axisNames: ['pods'],
      integerAxes: [true],
      series: [
        {
          name: 'unscheduled pods',
          values: cluster.pendingPods,
          color: COLORS.pending,
          step: true,
          area: true,
        },
        ...(result.nodePools
          ? [
              {
                name: 'no pool can take',
                values: result.nodePools.unplaceable,
                color: COLORS.unplaceable,
                step: true,
                dashed: true,
              },
            ]
          : []),
      ],
    },
    {
      title: CLUSTER_CHART_TITLES.cpu,
      hours,
      axisNames: ['cores'],
      series: [
        {
          name: 'allocatable',
          values: cores(cluster.cpuAllocatableMillis),
          color: COLORS.allocatable,
          step: true,
        },
        { name: 'requested', values: cores(cluster.cpuRequestedMillis), color: COLORS.requested, area: true },
      ],
    },
  ];
}

/** Hours since start of each sample, and the start's local hour of day, for the x-axis. */
export function timeAxis(result: SimulationResult): {
  hours: number[];
  startLocalHour: number;
  durationHours: number;
} {
  const { start, durationMs, utcOffsetMinutes } = result.scenario;
  return {
    hours: result.series.times.map((t) => (t - start) / 3_600_000),
    startLocalHour: localHourOfDay(start, utcOffsetMinutes),
    durationHours: durationMs / 3_600_000,
  };
}
