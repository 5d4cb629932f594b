/**
 * The figures a day replay is judged by (issue 9), from one run's result, and the side-by-side table of
 * tideplane's run and the baseline's (baseline.ts) on the same trace. Pure: results in, figures out.
 *
 * Lower is better for every figure; a ratio is tideplane ÷ baseline, so below 1 is tideplane's gain.
 */
import type { SimulationResult } from './result';

/** What a figure measures and how it is shown; `value` is undefined where the run has nothing to measure. */
export interface DayFigure {
  key: DayFigureKey;
  label: string;
  unit: string;
  value: number | undefined;
  /** Must be 0 in every run (a safety rail, not a trade-off). */
  mustBeZero?: boolean;
}

export type DayFigureKey =
  | 'pendingPodSeconds'
  | 'podPendingP50Seconds'
  | 'podPendingP99Seconds'
  | 'nodeHours'
  | 'nodeHoursOverLowerBound'
  | 'fallbackSeconds'
  | 'failuresWithoutFallback'
  | 'oomKills'
  | 'slowApiMinutes'
  | 'pdbViolations'
  | 'podsLost'
  | 'kubernetesRequests'
  | 'awsRequests';

/** The q-quantile (0..1) of `values` by the nearest-rank method; undefined for none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/**
 * How long each pod waited for a node, in seconds: from when the scheduler first found no node until it
 * was bound, or until the run ended for a pod still waiting. Pods scaled away unbound waited until they
 * went, which the records do not tell, so they are left out.
 */
export function podPendingSeconds(result: SimulationResult): number[] {
  const end = result.scenario.end;
  return (result.nodePools?.pendingPods ?? [])
    .filter((pod) => !pod.deleted || pod.boundAt !== undefined)
    .map((pod) => ((pod.boundAt ?? end) - pod.pendingSince) / 1000);
}

/** Capacity failures of a run that left pods waiting (not rebalance attempts, not boot timeouts). */
function capacityEpisodes(result: SimulationResult) {
  const decisions = result.nodePools?.decisions ?? [];
  // A failed rebalance scale-up (moving pods back to the preferred pool) leaves no pod waiting: its pods
  // run on the fallback pool already, so nothing is measured for it.
  const forPendingPods = (asgName: string, at: number) => {
    let last: (typeof decisions)[number] | undefined;
    for (const d of decisions) if (d.kind === 'scale-up' && d.asgName === asgName && d.time <= at) last = d;
    return !(last?.kind === 'scale-up' && last.rebalance);
  };
  return (result.nodePools?.fallbacks ?? []).filter(
    (e) => e.failure !== 'timeout' && forPendingPods(e.asgName, e.visibleAt),
  );
}

/**
 * The longest time from a capacity failure AWS reported to the last pod of its episode running on
 * fallback capacity, over the failures whose pods had a fallback pool to go to.
 */
export function fallbackSeconds(result: SimulationResult): number | undefined {
  const placed = capacityEpisodes(result).filter((e) => e.placedWithinMs !== undefined);
  if (placed.length === 0) return undefined;
  return Math.max(...placed.map((e) => (e.placedWithinMs ?? 0) / 1000));
}

/**
 * Capacity failures whose pods no lower-priority pool could take (a spot-only workload when spot runs
 * out in a zone): they waited for the group's other zones or for capacity to return.
 */
export function failuresWithoutFallback(result: SimulationResult): number | undefined {
  if (!result.nodePools) return undefined;
  return capacityEpisodes(result).filter((e) => e.placedWithinMs === undefined).length;
}

/**
 * Every figure of one run.
 *
 * @example dayFigures(result).find((f) => f.key === 'podsLost')?.value // 0
 */
export function dayFigures(result: SimulationResult): DayFigure[] {
  const pools = result.nodePools?.pools ?? [];
  const nodeHours = pools.length > 0 ? pools.reduce((sum, p) => sum + p.nodeHours, 0) : undefined;
  const lowerBound = pools.reduce((sum, p) => sum + p.lowerBoundNodeHours, 0);
  const waits = podPendingSeconds(result);
  const disruption = result.nodePools?.disruption;
  return [
    {
      key: 'pendingPodSeconds',
      label: 'pod-seconds pending',
      unit: 'pod·s',
      value: result.pendingPodSeconds,
    },
    {
      key: 'podPendingP50Seconds',
      label: 'pending time per pod, p50',
      unit: 's',
      value: quantile(waits, 0.5),
    },
    {
      key: 'podPendingP99Seconds',
      label: 'pending time per pod, p99',
      unit: 's',
      value: quantile(waits, 0.99),
    },
    { key: 'nodeHours', label: 'node-hours', unit: 'h', value: nodeHours },
    {
      key: 'nodeHoursOverLowerBound',
      label: 'node-hours ÷ lower bound',
      unit: '×',
      value: nodeHours !== undefined && lowerBound > 0 ? nodeHours / lowerBound : undefined,
    },
    {
      key: 'fallbackSeconds',
      label: 'capacity failure → pods running on fallback (longest)',
      unit: 's',
      value: fallbackSeconds(result),
    },
    {
      key: 'failuresWithoutFallback',
      label: 'capacity failures with no fallback for their pods',
      unit: '',
      value: failuresWithoutFallback(result),
    },
    { key: 'oomKills', label: 'OOM kills', unit: '', value: result.vpa?.oomKills.length },
    {
      key: 'slowApiMinutes',
      label: 'control-plane latency above 1 s',
      unit: 'min',
      value: result.controlPlane?.latency.minutesAbove,
    },
    {
      key: 'pdbViolations',
      label: 'evictions that violated a PDB',
      unit: '',
      value: disruption?.pdbViolations ?? 0,
      mustBeZero: true,
    },
    { key: 'podsLost', label: 'pods lost', unit: '', value: disruption?.podsLost ?? 0, mustBeZero: true },
    {
      key: 'kubernetesRequests',
      label: 'Kubernetes API requests',
      unit: '',
      value: result.api.kubernetes.totalRequests,
    },
    {
      key: 'awsRequests',
      label: 'AWS and metric API requests',
      unit: '',
      value: result.api.autoScaling.totalRequests + result.api.metrics.totalRequests,
    },
  ];
}

export interface ComparedFigure {
  key: DayFigureKey;
  label: string;
  unit: string;
  tideplane: number | undefined;
  baseline: number | undefined;
  /** tideplane ÷ baseline; undefined when either is missing or the baseline is 0. */
  ratio: number | undefined;
  mustBeZero?: boolean;
}

/**
 * The two runs' figures side by side.
 *
 * @example compareDays(tideplaneResult, baselineResult).find((f) => f.key === 'pendingPodSeconds')?.ratio
 */
export function compareDays(tideplane: SimulationResult, baseline: SimulationResult): ComparedFigure[] {
  const base = new Map(dayFigures(baseline).map((f) => [f.key, f.value]));
  return dayFigures(tideplane).map((figure) => {
    const other = base.get(figure.key);
    const ratio =
      figure.value !== undefined && other !== undefined && other !== 0 ? figure.value / other : undefined;
    return {
      key: figure.key,
      label: figure.label,
      unit: figure.unit,
      tideplane: figure.value,
      baseline: other,
      ratio,
      ...(figure.mustBeZero ? { mustBeZero: true } : {}),
    };
  });
}

function shown(value: number | undefined, unit: string): string {
  if (value === undefined) return '–';
  const rounded =
    Math.abs(value) >= 100
      ? Math.round(value).toLocaleString('en-US')
      : String(Math.round(value * 100) / 100);
  return unit === '' || unit === '×' ? `${rounded}${unit}` : `${rounded} ${unit}`;
}

/**
 * The comparison as aligned text lines for the terminal summary.
 *
 * @example console.log(comparisonLines(compareDays(a, b)).join('\n'));
 */
export function comparisonLines(figures: readonly ComparedFigure[]): string[] {
  const rows = figures.map((f) => [
    f.label,
    shown(f.tideplane, f.unit),
    shown(f.baseline, f.unit),
    f.ratio === undefined ? '–' : `${f.ratio.toFixed(2)}`,
    f.mustBeZero ? ((f.tideplane ?? 0) === 0 ? 'must be 0 ✓' : 'must be 0 ✗') : '',
  ]);
  const header = ['figure', 'tideplane', 'baseline', 'ratio', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
