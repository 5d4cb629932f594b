/**
 * The control-plane section of a simulation report: what the loop did (swaps, their durations and
 * outcomes, the fewest healthy API servers while each ran), how slow the API was against what the
 * starting control plane would have been, the charts, a table of swaps and the lines for the terminal.
 */
import { type ChartSize, renderTimeChart } from '../charts';
import { escapeHtml, localClock } from '../html-text';
import { controlPlaneCharts } from './charts';
import type { ControlPlaneRun, SwapRecordOutcome } from './run';

function minutes(ms: number): string {
  return `${Math.round(ms / 6_000) / 10} min`;
}

/** A swap's duration, or `running` when it had not finished by the end of the run. */
export function swapDuration(swap: SwapRecordOutcome): string {
  return swap.finishedAt === undefined ? 'running' : minutes(swap.finishedAt - swap.startedAt);
}

/** The acting steps of a swap as a compact list (`suspend, create-version ×3, set-size, …`). */
function stepList(swap: SwapRecordOutcome): string {
  const runs: { kind: string; count: number }[] = [];
  for (const step of swap.steps) {
    if (step.kind === 'start' || step.kind === 'finish') continue;
    const last = runs.at(-1);
    if (last && last.kind === step.kind) last.count++;
    else runs.push({ kind: step.kind, count: 1 });
  }
  return runs.map((run) => (run.count > 1 ? `${run.kind} ×${run.count}` : run.kind)).join(', ');
}

function swapTable(run: ControlPlaneRun, utcOffsetMinutes: number): string {
  if (run.swaps.length === 0) return '<p class="meta">No swap: the load stayed within the thresholds.</p>';
  const rows = run.swaps.map((swap) => {
    const healthy =
      swap.healthyAtStart !== undefined ? `${swap.healthyAtStart} / ${swap.minHealthy ?? '–'}` : '–';
    const outcome = swap.outcome ?? 'running';
    const cls = outcome === 'done' ? '' : ' class="over"';
    return (
      '<tr>' +
      `<td class="name">${localClock(swap.startedAt, utcOffsetMinutes)}</td>` +
      `<td class="name">${swap.direction}</td>` +
      `<td class="name">${escapeHtml(`${swap.from} → ${swap.to}`)}</td>` +
      `<td>${swapDuration(swap)}</td>` +
      `<td class="name"${cls}>${escapeHtml(outcome)}</td>` +
      `<td>${healthy}</td>` +
      `<td class="name">${escapeHtml(stepList(swap))}</td>` +
      `<td class="name">${escapeHtml(swap.failure ?? swap.reason)}</td>` +
      '</tr>'
    );
  });
  return (
    '<table><thead><tr><th class="name">started</th><th class="name">direction</th><th class="name">swap</th>' +
    '<th>duration</th><th class="name">outcome</th><th>healthy API servers at start / fewest</th>' +
    '<th class="name">steps</th><th class="name">why</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function alarmList(run: ControlPlaneRun, utcOffsetMinutes: number): string {
  const changes = run.alarms.filter((alarm) => alarm.from !== 'INSUFFICIENT_DATA');
  if (changes.length === 0) return '';
  const items = changes.map(
    (alarm) =>
      `<li>${localClock(alarm.time, utcOffsetMinutes)} ${escapeHtml(alarm.name)}: ${alarm.from} → ${alarm.to}` +
      `${alarm.value !== undefined ? ` (${alarm.value})` : ''}</li>`,
  );
  return `<h3>Alarm state changes</h3><ul>${items.join('')}</ul>`;
}

/**
 * The section's HTML: a paragraph of figures, the three charts, the swaps and the alarms' changes.
 *
 * @example
 * renderControlPlaneSection(result.controlPlane, { hours, time, size: { width: 560, height: 260 }, utcOffsetMinutes: 120 });
 */
export function renderControlPlaneSection(
  run: ControlPlaneRun,
  layout: {
    hours: readonly number[];
    time: { startLocalHour: number; durationHours: number };
    size: ChartSize;
    utcOffsetMinutes: number;
  },
): string {
  const figures = controlPlaneCharts(run, layout.hours).map(
    (chart) => `<figure>${renderTimeChart(chart, layout.size, layout.time)}</figure>`,
  );
  return [
    '<h2>Control plane</h2>',
    `<p>${controlPlaneLines(run, layout.utcOffsetMinutes).map(escapeHtml).join('<br>')}</p>`,
    `<div class="grid cluster">${figures.join('')}</div>`,
    '<h3>Swaps</h3>',
    swapTable(run, layout.utcOffsetMinutes),
    alarmList(run, layout.utcOffsetMinutes),
  ].join('\n');
}

/** A few lines for the terminal (and the section's opening paragraph). */
export function controlPlaneLines(run: ControlPlaneRun, utcOffsetMinutes: number): string[] {
  const done = run.swaps.filter((swap) => swap.outcome === 'done').length;
  const lines = [
    `control plane (${run.kind}): ${run.startSize} at the start, ${run.endSize} at the end; ` +
      `${run.swaps.length} swap(s), ${done} done`,
  ];
  for (const swap of run.swaps) {
    const healthy =
      swap.healthyAtStart !== undefined
        ? `, healthy API servers ${swap.healthyAtStart} at start, fewest ${swap.minHealthy ?? '–'}`
        : '';
    lines.push(
      `  ${localClock(swap.startedAt, utcOffsetMinutes)} ${swap.direction} ${swap.from} → ${swap.to}: ` +
        `${swap.outcome ?? 'running'} after ${swapDuration(swap)}${healthy}`,
    );
  }
  lines.push(
    `API latency above ${run.latency.thresholdSeconds} s for ${run.latency.minutesAbove} min ` +
      `(peak ${run.latency.peakSeconds} s); without swaps: ${run.latency.baselineMinutesAbove} min`,
    `port calls per tick: ${run.calls.idle.meanCalls} idle (max ${run.calls.idle.maxCalls}), ` +
      `${run.calls.swapping.meanCalls} during swaps (max ${run.calls.swapping.maxCalls}); ` +
      `${run.ticks} ticks, ${run.errors} failed`,
  );
  return lines;
}
