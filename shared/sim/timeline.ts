/**
 * The timeline of decisions in a run: what every loop did, when, on one chart with a lane per kind of
 * decision (scale-ups, failures and fallbacks, drains, spot events, control-plane swaps, VPA resizes,
 * quota requests), so a reader sees at a glance how the loops reacted to the day and to each other.
 * `timelineEvents` is pure; `renderTimelineChart` draws static SVG with ECharts' server-side renderer.
 */
import * as echarts from 'echarts';
import { CHART_LAYOUT, type ChartSize, chartTitle } from './charts';
import type { SimulationResult } from './result';

export const TIMELINE_CHART_TITLE = 'Timeline of decisions';

/** The grid starts under the title's band; the lanes' names are left of it, so no axis name sits above. */
const TIMELINE_GRID_TOP = 36;

/** The lanes, top to bottom, each with its colour. */
export const TIMELINE_LANES = [
  { lane: 'scale-up', color: '#5470c6' },
  { lane: 'move back', color: '#73c0de' },
  { lane: 'scale-up failed', color: '#ee6666' },
  { lane: 'drain', color: '#91cc75' },
  { lane: 'spot event', color: '#fc8452' },
  { lane: 'control-plane swap', color: '#9a60b4' },
  { lane: 'VPA resize', color: '#3ba272' },
  { lane: 'quota request', color: '#fac858' },
] as const;

export type TimelineLane = (typeof TIMELINE_LANES)[number]['lane'];

export interface TimelineEvent {
  time: number;
  lane: TimelineLane;
  /** One line for a tooltip-less reader: what happened. */
  text: string;
}

/**
 * Every decision of the run, oldest first.
 *
 * @example timelineEvents(result).filter((e) => e.lane === 'scale-up failed')
 */
export function timelineEvents(result: SimulationResult): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const d of result.nodePools?.decisions ?? []) {
    if (d.kind === 'scale-up' && d.result === 'applied') {
      events.push({
        time: d.time,
        lane: d.rebalance ? 'move back' : 'scale-up',
        text: `${d.asgName} ${d.from} → ${d.to}`,
      });
    } else if (d.kind === 'failure') {
      events.push({ time: d.time, lane: 'scale-up failed', text: `${d.asgName}: ${d.failure}` });
    } else if (d.kind === 'drain-started') {
      events.push({ time: d.time, lane: 'drain', text: `${d.node} (${d.pool}): ${d.reason}` });
    } else if (d.kind === 'interruption') {
      events.push({ time: d.time, lane: 'spot event', text: `${d.event} ${d.node}` });
    }
  }
  for (const swap of result.controlPlane?.swaps ?? []) {
    events.push({
      time: swap.startedAt,
      lane: 'control-plane swap',
      text: `${swap.direction} ${swap.from} → ${swap.to}`,
    });
  }
  for (const patch of result.vpa?.templatePatches ?? []) {
    events.push({ time: patch.time, lane: 'VPA resize', text: `${patch.workload} template` });
  }
  for (const request of result.quotas?.requests ?? []) {
    events.push({
      time: request.createdAt,
      lane: 'quota request',
      text: `${request.quotaCode} → ${request.desiredValue}`,
    });
  }
  return events.sort((a, b) => a.time - b.time);
}

/** The lanes that have events, in lane order (an empty lane would only take space). */
export function usedLanes(events: readonly TimelineEvent[]): (typeof TIMELINE_LANES)[number][] {
  const used = new Set(events.map((e) => e.lane));
  return TIMELINE_LANES.filter((lane) => used.has(lane.lane));
}

function clockLabel(startLocalHour: number, hoursSinceStart: number): string {
  const minutes = Math.round(((((startLocalHour + hoursSinceStart) % 24) + 24) % 24) * 60) % (24 * 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * The timeline as an SVG string: one row per used lane, one mark per decision at its time.
 *
 * @example renderTimelineChart(timelineEvents(result), { width: 1100, height: 240 }, { start, startLocalHour: 0, durationHours: 24 })
 */
export function renderTimelineChart(
  events: readonly TimelineEvent[],
  size: ChartSize,
  time: { start: number; startLocalHour: number; durationHours: number },
): string {
  const lanes = usedLanes(events);
  const instance = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width,
    height: size.height,
  });
  try {
    instance.setOption({
      animation: false,
      title: chartTitle(TIMELINE_CHART_TITLE, size.width),
      legend: {
        bottom: 0,
        itemWidth: 10,
        itemHeight: 8,
        textStyle: { fontSize: 10 },
        data: lanes.map((l) => l.lane),
      },
      grid: { left: 120, right: 16, top: TIMELINE_GRID_TOP, bottom: CHART_LAYOUT.gridBottom },
      xAxis: {
        type: 'value',
        min: 0,
        max: time.durationHours,
        interval: time.durationHours <= 3 ? 0.5 : time.durationHours <= 8 ? 1 : 3,
        axisLabel: { fontSize: 9, formatter: (value: number) => clockLabel(time.startLocalHour, value) },
        axisTick: { show: true },
        axisLine: { show: true },
        splitLine: { show: true, lineStyle: { color: '#eee' } },
      },
      yAxis: {
        type: 'category',
        inverse: true,
        data: lanes.map((l) => l.lane),
        axisLabel: { fontSize: 10 },
        splitLine: { show: true, lineStyle: { color: '#f3f3f3' } },
      },
      series: lanes.map((lane) => ({
        name: lane.lane,
        type: 'scatter',
        symbol: 'rect',
        // Wide enough to see one decision alone on a day-long axis.
        symbolSize: [5, 14],
        color: lane.color,
        data: events
          .filter((e) => e.lane === lane.lane)
          .map((e) => [(e.time - time.start) / 3_600_000, lane.lane]),
      })),
    });
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}
