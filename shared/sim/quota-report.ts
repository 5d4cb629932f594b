/**
 * The quota parts of a simulation report: per quota a "quota demand vs limit" chart (vCPUs in use, the
 * value in force, the loop's demand at the pools' maxima and what it asks for, and the cluster's pending
 * pods beside them), the increase requests with AWS's timeline, each loop run's decisions, the launches a
 * quota refused, and the lines for the terminal.
 */
import { type ChartSize, renderTimeChart, type TimeChart } from './charts';
import { escapeHtml, localClock } from './html-text';
import type { QuotaRequestOutcome, QuotaRun, QuotaSeries } from './quota-record';

const HOUR_MS = 3_600_000;

/** What every quota chart's title starts with. */
export const QUOTA_CHART_TITLE_PREFIX = 'quota demand vs limit';

const COLORS = {
  usage: '#5470c6',
  limit: '#ee6666',
  demand: '#8c8c8c',
  required: '#3ba272',
  pending: '#fc8452',
} as const;

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 60
    ? `${minutes} min`
    : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * A vCPU quota's name without the family list and the words every such name has ("Running", "All",
 * "instances", "Instance Requests"), short enough for a chart title; other names as they are.
 *
 * @example shortQuotaName('Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances') // 'On-Demand Standard'
 * @example shortQuotaName('All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests') // 'Standard Spot'
 */
export function shortQuotaName(name: string): string {
  return name
    .replace(/\s*\([^)]*\)/g, '')
    .replace(/^(Running|All)\s+/, '')
    .replace(/\s+(instances|Instance Requests)$/i, '')
    .trim();
}

export function quotaChartTitle(series: Pick<QuotaSeries, 'quotaCode' | 'quotaName'>): string {
  return `${QUOTA_CHART_TITLE_PREFIX}: ${shortQuotaName(series.quotaName)} (${series.quotaCode})`;
}

/** Titles of `quotaCharts`, in order. */
export function quotaChartTitles(run: QuotaRun): string[] {
  return run.quotas.map(quotaChartTitle);
}

/**
 * One chart per quota: vCPUs in use (area), the value in force (step), the loop's demand at the maxima and
 * the value it asks for (dashed, from its first run on); the cluster's pending pods on the right axis
 * when given (at the same instants), so a flat usage against the limit reads as the pods it kept waiting.
 */
export function quotaCharts(run: QuotaRun, start: number, pendingPods?: readonly number[]): TimeChart[] {
  const hours = run.times.map((t) => (t - start) / HOUR_MS);
  const pending = pendingPods && pendingPods.length === run.times.length ? pendingPods : undefined;
  return run.quotas.map(
    (quota): TimeChart => ({
      title: quotaChartTitle(quota),
      hours,
      axisNames: pending ? ['vCPUs', 'pending pods'] : ['vCPUs'],
      integerAxes: [true, true],
      series: [
        { name: 'in use', values: quota.usage, color: COLORS.usage, area: true },
        { name: 'limit', values: quota.limit, color: COLORS.limit, step: true },
        { name: 'max demand', values: quota.demand, color: COLORS.demand, step: true, dashed: true },
        {
          name: 'with headroom',
          values: quota.required,
          color: COLORS.required,
          step: true,
          dashed: true,
        },
        ...(pending
          ? [{ name: 'pending pods', values: pending, color: COLORS.pending, axis: 1 as const }]
          : []),
      ],
    }),
  );
}

/** What a run comes to, per the figures a report quotes. */
export interface QuotaFigures {
  requestsFiled: number;
  /** Per request AWS answered within the run: from filing to the answer. */
  answered: { quotaCode: string; outcome: 'APPROVED' | 'DENIED'; afterMs: number }[];
  refusedLaunches: number;
  firstRefusalAt?: number;
  lastRefusalAt?: number;
  /** Groups with refused launches, most refusals first. */
  refusedGroups: { groupName: string; refusals: number }[];
}

export function quotaFigures(run: QuotaRun): QuotaFigures {
  const byGroup = new Map<string, number>();
  for (const refusal of run.refusals)
    byGroup.set(refusal.groupName, (byGroup.get(refusal.groupName) ?? 0) + 1);
  return {
    requestsFiled: run.requests.length,
    answered: run.requests
      .filter((request) => request.statusAtEnd === request.outcome)
      .map((request) => ({
        quotaCode: request.quotaCode,
        outcome: request.outcome,
        afterMs: request.resolvedAt - request.createdAt,
      })),
    refusedLaunches: run.refusals.length,
    ...(run.refusals[0] ? { firstRefusalAt: run.refusals[0].time } : {}),
    ...(run.refusals.at(-1) ? { lastRefusalAt: run.refusals.at(-1)?.time } : {}),
    refusedGroups: [...byGroup]
      .map(([groupName, refusals]) => ({ groupName, refusals }))
      .sort((a, b) => b.refusals - a.refusals || a.groupName.localeCompare(b.groupName)),
  };
}

function requestLine(request: QuotaRequestOutcome, utcOffsetMinutes: number): string {
  const answered = request.statusAtEnd === request.outcome;
  return (
    `  ${request.quotaCode} ${request.valueAtRequest} → ${request.desiredValue}: filed ${localClock(request.createdAt, utcOffsetMinutes)}, ` +
    `case ${request.caseId} opened ${localClock(request.caseOpenedAt, utcOffsetMinutes)}, ` +
    (answered
      ? `${request.outcome.toLowerCase()} ${localClock(request.resolvedAt, utcOffsetMinutes)} ` +
        `(${duration(request.resolvedAt - request.createdAt)} pending)`
      : `${request.statusAtEnd} at the end`)
  );
}

/**
 * A few lines for the terminal (and the section's opening paragraph).
 *
 * @example
 * quotaLines(result.quotas, { utcOffsetMinutes: 120, pendingPodSeconds: result.pendingPodSeconds });
 * // ['quotas (123456789012/eu-central-1): 4 loop runs, 1 request filed', '  L-1216C47A 160 → 1296: ...', ...]
 */
export function quotaLines(
  run: QuotaRun,
  context: { utcOffsetMinutes: number; pendingPodSeconds: number },
): string[] {
  const figures = quotaFigures(run);
  const offset = context.utcOffsetMinutes;
  const failures = run.runs.reduce((sum, loopRun) => sum + loopRun.failures.length, 0);
  const lines = [
    `quotas (${run.accountId}/${run.region}): ${run.runs.length} loop runs, ` +
      `${figures.requestsFiled} request${figures.requestsFiled === 1 ? '' : 's'} filed, ${failures} failures`,
    ...run.requests.map((request) => requestLine(request, offset)),
  ];
  const refusals =
    figures.refusedLaunches === 0
      ? 'no launch refused by a vCPU quota'
      : `${count(figures.refusedLaunches)} launches refused (VcpuLimitExceeded) ` +
        `${localClock(figures.firstRefusalAt ?? 0, offset)}–${localClock(figures.lastRefusalAt ?? 0, offset)} ` +
        `on ${figures.refusedGroups.length} groups`;
  lines.push(`${refusals}; pending pod-seconds ${count(context.pendingPodSeconds)}`);
  return lines;
}

function requestTable(run: QuotaRun, utcOffsetMinutes: number): string {
  if (run.requests.length === 0) return '<p class="meta">No increase request was filed.</p>';
  const rows = run.requests.map((request) => {
    const answered = request.statusAtEnd === request.outcome;
    const cls = request.statusAtEnd === 'APPROVED' ? '' : ' class="over"';
    return (
      '<tr>' +
      `<td class="name">${escapeHtml(`${request.quotaCode} ${shortQuotaName(request.quotaName)}`)}</td>` +
      `<td>${count(request.valueAtRequest)}</td>` +
      `<td>${count(request.desiredValue)}</td>` +
      `<td>${localClock(request.createdAt, utcOffsetMinutes)}</td>` +
      `<td>${localClock(request.caseOpenedAt, utcOffsetMinutes)}</td>` +
      `<td>${answered ? localClock(request.resolvedAt, utcOffsetMinutes) : '–'}</td>` +
      `<td>${answered ? duration(request.resolvedAt - request.createdAt) : '–'}</td>` +
      `<td class="name"${cls}>${request.statusAtEnd}</td>` +
      `<td class="name">${escapeHtml(request.caseId)}</td>` +
      '</tr>'
    );
  });
  return (
    '<table><thead><tr><th class="name">quota</th><th>value then</th><th>asked</th><th>filed</th>' +
    '<th>case opened</th><th>answered</th><th>pending</th><th class="name">status at end</th>' +
    '<th class="name">case</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function runTable(run: QuotaRun, utcOffsetMinutes: number): string {
  const rows = run.runs.flatMap((loopRun) => {
    const filed = new Set(loopRun.filed.map((filing) => filing.quotaCode));
    return loopRun.decisions.map((decision) => {
      const action =
        decision.action === 'request' && filed.has(decision.quotaCode)
          ? 'request filed'
          : decision.action === 'wait'
            ? `wait (${decision.awaiting ?? 'aws'})`
            : decision.action;
      const cls = decision.alarm || decision.action === 'blocked' ? ' class="over"' : '';
      return (
        '<tr>' +
        `<td class="name">${localClock(loopRun.time, utcOffsetMinutes)}</td>` +
        `<td class="name">${escapeHtml(decision.quotaCode)}</td>` +
        `<td>${count(decision.demand)}</td>` +
        `<td>${count(decision.required)}</td>` +
        `<td>${decision.applied !== undefined ? count(decision.applied) : '–'}</td>` +
        `<td>${decision.usage !== undefined ? count(decision.usage) : '–'}</td>` +
        `<td class="name"${cls}>${escapeHtml(action)}${decision.outcome ? ` · ${decision.outcome}` : ''}</td>` +
        `<td class="name">${escapeHtml(decision.reason)}</td>` +
        '</tr>'
      );
    });
  });
  if (rows.length === 0) return '<p class="meta">The quota loop did not run.</p>';
  return (
    '<table><thead><tr><th class="name">run</th><th class="name">quota</th><th>demand</th><th>+ headroom</th>' +
    '<th>applied</th><th>in use</th><th class="name">action</th><th class="name">why</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function refusalTable(run: QuotaRun, utcOffsetMinutes: number): string {
  if (run.refusals.length === 0) return '';
  const byGroup = new Map<string, QuotaRun['refusals']>();
  for (const refusal of run.refusals)
    byGroup.set(refusal.groupName, [...(byGroup.get(refusal.groupName) ?? []), refusal]);
  const rows = [...byGroup].map(([group, refusals]) => {
    const first = refusals[0];
    const last = refusals.at(-1);
    return (
      '<tr>' +
      `<td class="name">${escapeHtml(group)}</td>` +
      `<td class="name">${escapeHtml(first?.instanceType ?? '')}</td>` +
      `<td class="name">${escapeHtml(first?.quotaCode ?? '')}</td>` +
      `<td>${count(refusals.length)}</td>` +
      `<td>${first ? localClock(first.time, utcOffsetMinutes) : '–'}</td>` +
      `<td>${last ? localClock(last.time, utcOffsetMinutes) : '–'}</td>` +
      `<td>${first ? escapeHtml(`${first.inUse} + ${first.vcpus} > ${first.limit}`) : '–'}</td>` +
      '</tr>'
    );
  });
  return (
    '<h3>Launches refused by a vCPU quota</h3>' +
    `<p class="meta">${escapeHtml(run.refusals[0]?.message ?? '')}</p>` +
    '<table><thead><tr><th class="name">group</th><th class="name">type</th><th class="name">quota</th>' +
    '<th>refused</th><th>first</th><th>last</th><th>first: in use + instance &gt; limit</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/**
 * The section's HTML: the figures, the charts, the requests, the loop's runs and the refused launches.
 *
 * @example
 * renderQuotaSection(result.quotas, { start, time, size, utcOffsetMinutes: 120, pendingPodSeconds, pendingPods });
 */
export function renderQuotaSection(
  run: QuotaRun,
  layout: {
    start: number;
    time: { startLocalHour: number; durationHours: number };
    size: ChartSize;
    utcOffsetMinutes: number;
    pendingPodSeconds: number;
    /** The cluster's pending pods at `run.times`, for the charts' right axis. */
    pendingPods?: readonly number[];
  },
): string {
  const figures = quotaCharts(run, layout.start, layout.pendingPods).map(
    (chart) => `<figure>${renderTimeChart(chart, layout.size, layout.time)}</figure>`,
  );
  return [
    '<h2>Quotas</h2>',
    `<p>${quotaLines(run, layout).map(escapeHtml).join('<br>')}</p>`,
    `<div class="grid cluster">${figures.join('')}</div>`,
    '<h3>Increase requests</h3>',
    requestTable(run, layout.utcOffsetMinutes),
    '<h3>Quota loop runs</h3>',
    runTable(run, layout.utcOffsetMinutes),
    refusalTable(run, layout.utcOffsetMinutes),
  ].join('\n');
}
