/**
 * The control-plane charts of a report, as time charts for `renderTimeChart`: the control plane's size
 * (instances per type, or the tier), its load against the alarms' thresholds, and API latency against
 * what the starting control plane would have had.
 */
import type { TimeChart } from '../charts';
import type { ControlPlaneRun } from './run';

export const CONTROL_PLANE_CHART_TITLES = {
  size: 'Control-plane instance type',
  tier: 'Control-plane tier',
  cpu: 'Control-plane CPU',
  seats: 'Control-plane seat utilization',
  latency: 'API latency',
} as const;

const SIZE_COLORS = ['#5470c6', '#ee6666', '#3ba272', '#fac858', '#9a60b4', '#fc8452', '#73c0de'];

/** The titles of the charts `controlPlaneCharts` draws, in order. */
export function controlPlaneChartTitles(run: Pick<ControlPlaneRun, 'kind'>): string[] {
  return run.kind === 'ec2'
    ? [CONTROL_PLANE_CHART_TITLES.size, CONTROL_PLANE_CHART_TITLES.cpu, CONTROL_PLANE_CHART_TITLES.latency]
    : [CONTROL_PLANE_CHART_TITLES.tier, CONTROL_PLANE_CHART_TITLES.seats, CONTROL_PLANE_CHART_TITLES.latency];
}

/**
 * @example
 * controlPlaneCharts(result.controlPlane, timeAxis(result).hours).map((chart) => renderTimeChart(chart, size, time));
 */
export function controlPlaneCharts(run: ControlPlaneRun, hours: readonly number[]): TimeChart[] {
  const [sizeTitle, loadTitle, latencyTitle] = controlPlaneChartTitles(run) as [string, string, string];
  const sizes = Object.entries(run.series.sizes);
  const constant = (value: number) => hours.map(() => value);
  return [
    {
      title: sizeTitle,
      hours,
      axisNames: [run.kind === 'ec2' ? 'instances in service' : 'tier in force'],
      integerAxes: [true],
      series: sizes.map(([size, values], i) => ({
        name: size,
        values,
        color: SIZE_COLORS[i % SIZE_COLORS.length] as string,
        step: true,
        area: true,
      })),
    },
    {
      title: loadTitle,
      hours,
      axisNames: ['%'],
      series: [
        {
          name: run.kind === 'ec2' ? 'mean CPU of the instances' : 'seats in use / tier capacity',
          values: run.series.loadPercent.map((value) => value ?? 0),
          color: '#5470c6',
          area: true,
        },
        {
          name: 'high threshold',
          values: constant(run.thresholds.highPercent),
          color: '#ee6666',
          dashed: true,
        },
        {
          name: 'low threshold',
          values: constant(run.thresholds.lowPercent),
          color: '#3ba272',
          dashed: true,
        },
      ],
    },
    {
      title: latencyTitle,
      hours,
      axisNames: ['seconds'],
      series: [
        { name: 'API latency', values: run.series.latencySeconds, color: '#5470c6', area: true },
        {
          name: `no swaps (${run.startSize}, ≤ 5 s)`,
          values: run.series.baselineLatencySeconds.map((value) => Math.min(value, 5)),
          color: '#9a60b4',
          dashed: true,
        },
        {
          name: `slow: ${run.latency.thresholdSeconds} s`,
          values: constant(run.latency.thresholdSeconds),
          color: '#ee6666',
          dashed: true,
        },
      ],
    },
  ];
}
