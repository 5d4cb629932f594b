/**
 * The VPA parts of a simulation report: per VPA container a chart of memory usage against the pod
 * template's request (with the recommendation, the need the simulator knows, and the OOM kills), the
 * template patches, the checkpoints' DynamoDB item sizes; and for the vpa-oom experiment the table of OOM
 * kills until stable under tideplane's policy and upstream's, with a close-up of each step.
 */
import { type ChartSize, renderTimeChart, type TimeChart } from './charts';
import { escapeHtml, localClock } from './html-text';
import { VPA_OOM_DEFAULTS } from './scenarios/vpa-oom';
import { localHourOfDay } from './traces';
import {
  findOomRun,
  OOM_POLICY_LABELS,
  type OomExperiment,
  type OomExperimentRun,
  oomCell,
  oomGoal,
  STABLE_AFTER_MS,
  VPA_OOM_GOAL,
} from './vpa-oom-experiment';
import type { VpaContainerSeries, VpaRun } from './vpa-record';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const COLORS = {
  need: '#8c8c8c',
  usage: '#5470c6',
  request: '#ee6666',
  limit: '#9a60b4',
  target: '#3ba272',
  kills: '#fc8452',
  upstream: '#fac858',
} as const;

/** Kills of a container up to each instant of `times`. */
function cumulativeKills(run: VpaRun, series: VpaContainerSeries, times: readonly number[]): number[] {
  const kills = run.oomKills
    .filter((kill) => kill.workload === series.workload && kill.container === series.container)
    .map((kill) => kill.time)
    .sort((a, b) => a - b);
  let i = 0;
  return times.map((t) => {
    while (i < kills.length && (kills[i] as number) <= t) i++;
    return i;
  });
}

export function vpaMemoryChartTitle(series: Pick<VpaContainerSeries, 'vpa' | 'container'>): string {
  return `${series.vpa} ${series.container}: memory usage vs request`;
}

export function vpaCpuChartTitle(series: Pick<VpaContainerSeries, 'vpa' | 'container'>): string {
  return `${series.vpa} ${series.container}: CPU usage vs request`;
}

/** Whether the container got a CPU recommendation at all (then its CPU chart is drawn). */
function hasCpuTarget(series: VpaContainerSeries): boolean {
  return series.cpuTargetMillis.some((value) => value !== null);
}

/**
 * The charts of a VPA run: per container memory (need, highest and mean working set, request, limit,
 * target; OOM kills on the right axis) and, where the VPA recommends CPU, CPU.
 */
export function vpaCharts(run: VpaRun, start: number): TimeChart[] {
  const hours = run.times.map((t) => (t - start) / HOUR_MS);
  const charts: TimeChart[] = [];
  for (const series of run.containers) {
    const limitDiffers = series.memoryLimitMi.some((v, i) => v !== series.memoryRequestMi[i]);
    charts.push({
      title: vpaMemoryChartTitle(series),
      hours,
      axisNames: ['MiB', 'OOM kills'],
      integerAxes: [false, true],
      series: [
        ...(series.memoryNeedMi.some((v) => v !== null)
          ? [{ name: 'need', values: series.memoryNeedMi, color: COLORS.need, dashed: true }]
          : []),
        { name: 'usage (highest pod)', values: series.memoryUsageMaxMi, color: COLORS.usage, area: true },
        { name: 'request', values: series.memoryRequestMi, color: COLORS.request, step: true },
        ...(limitDiffers
          ? [{ name: 'limit', values: series.memoryLimitMi, color: COLORS.limit, step: true, dashed: true }]
          : []),
        { name: 'VPA target', values: series.memoryTargetMi, color: COLORS.target, dashed: true },
        {
          name: 'OOM kills',
          values: cumulativeKills(run, series, run.times),
          color: COLORS.kills,
          axis: 1,
          step: true,
        },
      ],
    });
    if (hasCpuTarget(series)) {
      charts.push({
        title: vpaCpuChartTitle(series),
        hours,
        axisNames: ['millicores'],
        series: [
          { name: 'usage (mean pod)', values: series.cpuUsageMeanMillis, color: COLORS.usage, area: true },
          { name: 'request', values: series.cpuRequestMillis, color: COLORS.request, step: true },
          { name: 'VPA target', values: series.cpuTargetMillis, color: COLORS.target, dashed: true },
        ],
      });
    }
  }
  return charts;
}

/** Titles of `vpaCharts`, in order. */
export function vpaChartTitles(run: VpaRun): string[] {
  return run.containers.flatMap((series) => [
    vpaMemoryChartTitle(series),
    ...(hasCpuTarget(series) ? [vpaCpuChartTitle(series)] : []),
  ]);
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Checkpoint writes and the DynamoDB size of their items (largest, median), in bytes. */
export function checkpointFigures(run: VpaRun): { writes: number; maxBytes?: number; p50Bytes?: number } {
  const sizes = run.checkpointWrites.map((write) => write.bytes).sort((a, b) => a - b);
  const max = sizes.at(-1);
  const p50 = percentile(sizes, 0.5);
  return {
    writes: sizes.length,
    ...(max !== undefined ? { maxBytes: max } : {}),
    ...(p50 !== undefined ? { p50Bytes: p50 } : {}),
  };
}

/** A few lines for the terminal (and the section's opening paragraph). */
export function vpaLines(run: VpaRun): string[] {
  const checkpoints = checkpointFigures(run);
  const sizes =
    checkpoints.maxBytes !== undefined
      ? `, items ≤ ${checkpoints.maxBytes} B (median ${checkpoints.p50Bytes} B)`
      : '';
  const lines = [
    `vpa (oomPolicy ${run.oomPolicy}): ${run.containers.length} container(s), ${run.ticks} ticks, ` +
      `${run.statusWrites} status writes (≤ ${run.maxStatusWritesPerTick} a tick), ` +
      `${run.templatePatches.length} template patches, ${run.podResizes.length} pods raised in place, ` +
      `${run.oomKills.length} OOM kills`,
    `vpa checkpoints: ${checkpoints.writes} writes every ${run.ticksPerInvocation} ticks ` +
      `(≤ ${run.maxCheckpointWritesPerTick} a tick)${sizes}`,
  ];
  for (const [vpa, problems] of Object.entries(run.problems))
    lines.push(`vpa ${vpa}: ${problems.join('; ')}`);
  return lines;
}

function patchTable(run: VpaRun, utcOffsetMinutes: number, start: number): string {
  if (run.templatePatches.length === 0) return '<p class="meta">No template patch.</p>';
  const rows = run.templatePatches.map((patch) => {
    const day = Math.floor((patch.time - start) / DAY_MS) + 1;
    const resources = patch.containers
      .map(
        (c) =>
          `${c.name}: requests ${Object.entries(c.requests)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}; limits ${
            Object.entries(c.limits)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || '–'
          }`,
      )
      .join(' · ');
    return (
      `<tr><td class="name">day ${day}, ${localClock(patch.time, utcOffsetMinutes, true)}</td>` +
      `<td class="name">${escapeHtml(patch.workload)}</td><td>${patch.revision}</td>` +
      `<td class="name">${escapeHtml(resources)}</td></tr>`
    );
  });
  return (
    '<table><thead><tr><th class="name">time</th><th class="name">workload</th><th>revision</th>' +
    `<th class="name">pod template</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

/**
 * The VPA section of a report.
 *
 * @example renderVpaSection(result.vpa, { start, time, size: { width: 560, height: 260 }, utcOffsetMinutes: 120 })
 */
export function renderVpaSection(
  run: VpaRun,
  layout: {
    start: number;
    time: { startLocalHour: number; durationHours: number };
    size: ChartSize;
    utcOffsetMinutes: number;
    /** @default 'Vertical pod autoscaling' */
    heading?: string;
  },
): string {
  const figures = vpaCharts(run, layout.start).map(
    (chart) => `<figure>${renderTimeChart(chart, layout.size, layout.time)}</figure>`,
  );
  return [
    `<h2>${escapeHtml(layout.heading ?? 'Vertical pod autoscaling')}</h2>`,
    `<p>${vpaLines(run).map(escapeHtml).join('<br>')}</p>`,
    `<div class="grid cluster">${figures.join('')}</div>`,
    '<h3>Template patches</h3>',
    patchTable(run, layout.utcOffsetMinutes, layout.start),
  ].join('\n');
}

/** Legend names of the close-ups (the full ones do not fit four series in a row). */
const SHORT_LABELS: Readonly<Record<string, string>> = { fast: 'tideplane', upstream: 'upstream' };

/** The close-up of a step: from shortly before to when both policies have long settled. */
const CLOSE_UP = { beforeMs: 2 * 60_000, afterMs: 18 * 60_000, resolutionMs: 5_000 } as const;

/** The request a run's template had at `t` (MiB), from its initial one and its patches. */
function requestAt(run: OomExperimentRun, t: number): number | null {
  let request: number | null = VPA_OOM_DEFAULTS.requestMi;
  for (const patch of run.result.vpa?.templatePatches ?? []) {
    if (patch.time > t) break;
    const memory = patch.containers[0]?.requests.memory;
    const match = memory ? /^(\d+)Mi$/.exec(memory) : null;
    if (match) request = Number(match[1]);
  }
  return request;
}

function killsUpTo(run: OomExperimentRun, t: number): number {
  return (run.result.vpa?.oomKills ?? []).filter((kill) => kill.time >= run.step && kill.time <= t).length;
}

export function oomCloseUpTitle(factor: number, replicas: number): string {
  return `memory step ×${factor}, ${replicas} replica(s): request and OOM kills`;
}

/** The close-up chart of one step and replica count, both policies on it. */
export function oomCloseUpChart(
  experiment: OomExperiment,
  factor: number,
  replicas: number,
): { chart: TimeChart; startLocalHour: number; utcOffsetMinutes: number } | undefined {
  const runs = experiment.policies
    .map((policy) => findOomRun(experiment, policy, factor, replicas))
    .filter((run): run is OomExperimentRun => run !== undefined);
  const first = runs[0];
  if (!first) return undefined;
  const from = first.step - CLOSE_UP.beforeMs;
  const times: number[] = [];
  for (let t = from; t <= first.step + CLOSE_UP.afterMs; t += CLOSE_UP.resolutionMs) times.push(t);
  const hours = times.map((t) => (t - from) / HOUR_MS);
  const colors: Record<string, { request: string; kills: string }> = {
    fast: { request: COLORS.request, kills: COLORS.kills },
    upstream: { request: COLORS.upstream, kills: COLORS.limit },
  };
  return {
    chart: {
      title: oomCloseUpTitle(factor, replicas),
      hours,
      axisNames: ['MiB', 'OOM kills'],
      integerAxes: [false, true],
      series: [
        {
          name: 'need',
          values: times.map((t) => VPA_OOM_DEFAULTS.needMi * (t >= first.step ? factor : 1)),
          color: COLORS.need,
          dashed: true,
          step: true,
        },
        ...runs.flatMap((run) => [
          {
            name: `${SHORT_LABELS[run.policy]} request`,
            values: times.map((t) => requestAt(run, t)),
            color: colors[run.policy]?.request ?? COLORS.request,
            step: true,
          },
          {
            name: `${SHORT_LABELS[run.policy]} kills`,
            values: times.map((t) => killsUpTo(run, t)),
            color: colors[run.policy]?.kills ?? COLORS.kills,
            axis: 1 as const,
            step: true,
            dashed: true,
          },
        ]),
      ],
    },
    startLocalHour: localHourOfDay(from, first.result.scenario.utcOffsetMinutes),
    utcOffsetMinutes: first.result.scenario.utcOffsetMinutes,
  };
}

/** Titles of the close-ups `renderVpaOomSection` draws. */
export function oomCloseUpTitles(experiment: OomExperiment): string[] {
  return experiment.factors.flatMap((factor) =>
    experiment.replicas.map((replicas) => oomCloseUpTitle(factor, replicas)),
  );
}

/**
 * The experiment's section: the definitions, the table (tideplane vs upstream), whether the goal was met,
 * and a close-up of each step.
 */
export function renderVpaOomSection(experiment: OomExperiment, size: ChartSize): string {
  const header = experiment.policies.map((policy) => `<th class="name">${OOM_POLICY_LABELS[policy]}</th>`);
  const rows = experiment.factors.flatMap((factor) =>
    experiment.replicas.map((replicas) => {
      const cells = experiment.policies.map((policy) => {
        const run = findOomRun(experiment, policy, factor, replicas);
        const over = run && (!run.stable || run.killsPerReplica > VPA_OOM_GOAL.maxKillsPerReplica);
        return `<td class="name${over ? ' over' : ''}">${escapeHtml(oomCell(run))}</td>`;
      });
      return `<tr><td>×${factor}</td><td>${replicas}</td>${cells.join('')}</tr>`;
    }),
  );
  const goals = experiment.policies.map((policy) => {
    const goal = oomGoal(experiment, policy);
    return `${OOM_POLICY_LABELS[policy]}: ${goal.met ? 'met ✓' : `missed ✗ — ${goal.misses.join('; ')}`}`;
  });
  const figures = experiment.factors.flatMap((factor) =>
    experiment.replicas.map((replicas) => {
      const closeUp = oomCloseUpChart(experiment, factor, replicas);
      if (!closeUp) return '';
      const durationHours = (CLOSE_UP.beforeMs + CLOSE_UP.afterMs) / HOUR_MS;
      return `<figure>${renderTimeChart(closeUp.chart, size, {
        startLocalHour: closeUp.startLocalHour,
        durationHours,
        intervalHours: 2 / 60,
      })}</figure>`;
    }),
  );
  return [
    '<h2>OOM recovery: tideplane vs upstream</h2>',
    `<p>A cache's memory need steps from ${VPA_OOM_DEFAULTS.needMi} MiB to ×2, ×3 and ×4 after a day at the ` +
      `old need (request = limit ${VPA_OOM_DEFAULTS.requestMi} MiB), the same trace under each OOM policy. ` +
      `<b>Stable</b>: ${STABLE_AFTER_MS / HOUR_MS} h without an OOM kill. <b>OOM kills until stable</b>: every ` +
      'container OOM kill from the step to the last before that (the step itself kills every replica once, ' +
      `so the goal — at most ${VPA_OOM_GOAL.maxKillsPerReplica} — is per replica). <b>Undersized limits</b>: ` +
      'distinct memory limits killed after the step (1: the first raise was enough).</p>',
    `<table><thead><tr><th>step</th><th>replicas</th>${header.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`,
    `<p>Goal: ${goals.map(escapeHtml).join('<br>')}</p>`,
    `<div class="grid cluster">${figures.join('')}</div>`,
  ].join('\n');
}
