/**
 * Reports of a simulation run: one self-contained HTML page (inline CSS and SVG charts, no script, no
 * network) and a few lines for the terminal.
 */
import {
  CLUSTER_CHART_TITLES,
  clusterCharts,
  NODE_HOURS_CHART_TITLE,
  nodeHoursChart,
  poolChart,
  poolChartTitle,
  renderBarChart,
  renderTimeChart,
  serviceChart,
  timeAxis,
} from './charts';
import { controlPlaneChartTitles } from './control-plane/charts';
import { controlPlaneLines, renderControlPlaneSection } from './control-plane/report-section';
import { boxTables, escapeHtml, TABLE_BOX_CLASS } from './html-text';
import { quotaChartTitles, quotaLines, renderQuotaSection } from './quota-report';
import { type ServiceSelection, selectServices } from './report-selection';
import {
  type NodePoolSummary,
  type RunSummary,
  type ServiceSummary,
  summarizeNodePools,
  summarizeRun,
  summarizeServices,
} from './report-stats';
import type { InterruptionOutcome, NodePoolDecision, SimulationResult } from './result';
import { renderTimelineChart, TIMELINE_CHART_TITLE, timelineEvents, usedLanes } from './timeline';
import { renderVpaSection, vpaChartTitles, vpaLines } from './vpa-report';

export interface ReportOptions {
  /** @default `tideplane simulation: <scenario>` */
  title?: string;
  /** Size of each service chart. @default 400 × 230 */
  serviceChartSize?: { width: number; height: number };
  /** Size of each cluster chart. @default 560 × 260 */
  clusterChartSize?: { width: number; height: number };
  /** A line under the title (e.g. which controllers ran, a commit). */
  subtitle?: string;
  /** Rows of the node-pool decision timeline at most. @default 300 */
  maxDecisionRows?: number;
  /** HTML sections placed after the summary (e.g. an experiment's table over several runs). */
  extraSections?: string[];
  /**
   * The services to chart (`namespace/name`, the scenario's `reportServices`), in this order; a key the
   * run does not have throws. The services table lists every service either way.
   * @default all services when there are at most 12, else 12 chosen by `selectServices`
   */
  services?: readonly string[];
}

const DEFAULT_MAX_DECISION_ROWS = 300;

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1f2328; overflow-wrap: anywhere; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
p.meta { color: #57606a; margin: 0 0 12px; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px 16px; margin: 0; }
dl.facts div { background: #f6f8fa; border-radius: 6px; padding: 6px 10px; }
dl.facts dt { color: #57606a; font-size: 12px; }
dl.facts dd { margin: 0; font-size: 18px; font-weight: 600; }
table { border-collapse: collapse; font-size: 13px; overflow-wrap: normal; }
.${TABLE_BOX_CLASS} { max-width: 100%; max-height: 80vh; overflow: auto; margin: 0 0 8px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eaeef2; text-align: right; white-space: nowrap; }
th { background: #f6f8fa; position: sticky; top: 0; }
td.name, th.name { text-align: left; }
td.over { color: #cf222e; font-weight: 600; }
td.under { color: #9a6700; }
td.ok { color: #1a7f37; font-weight: 600; }
td.bad { color: #cf222e; font-weight: 600; }
td.wrap { white-space: normal; max-width: 520px; }
.grid { display: grid; gap: 8px; }
.grid.services { grid-template-columns: repeat(auto-fill, minmax(min(400px, 100%), 1fr)); }
.grid.cluster { grid-template-columns: repeat(auto-fill, minmax(min(560px, 100%), 1fr)); }
figure { margin: 0; border: 1px solid #eaeef2; border-radius: 6px; padding: 4px; min-width: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 11px; color: #57606a; padding: 0 4px; }
`;

function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}`;
}

function formatLocalTime(t: number, utcOffsetMinutes: number): string {
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

function formatLocalClock(t: number, utcOffsetMinutes: number): string {
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(11, 19);
}

/** `2 min 15 s`, `45 s`. */
function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

function formatRatio(value: number | undefined): string {
  return value === undefined ? '–' : `${formatNumber(value, 2)}×`;
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function utilizationCell(service: ServiceSummary): string {
  if (service.averageUtilization === undefined) return '<td>–</td>';
  const average = service.averageUtilization;
  const target = service.targetUtilization;
  const cls =
    target === undefined
      ? ''
      : average > target * 1.1
        ? ' class="over"'
        : average < target * 0.6
          ? ' class="under"'
          : '';
  const text = `${formatNumber(average)} %${target !== undefined ? ` / ${target} %` : ''}`;
  return `<td${cls}>${text}</td>`;
}

function serviceTable(services: ServiceSummary[]): string {
  const rows = services.map((service) => {
    const bounds =
      service.minAllowed !== undefined || service.maxAllowed !== undefined
        ? `${service.minAllowed ?? 1}–${service.maxAllowed ?? '?'}`
        : '–';
    return (
      '<tr>' +
      `<td class="name">${escapeHtml(service.key)}</td>` +
      `<td class="name">${escapeHtml(service.metrics.join(', ') || '–')}</td>` +
      `<td>${formatNumber(service.peakRps)}</td>` +
      `<td>${service.minReplicas}</td>` +
      `<td>${service.maxReplicas}</td>` +
      `<td>${bounds}</td>` +
      utilizationCell(service) +
      `<td>${service.rescales} (${service.scaleUps}↑ ${service.scaleDowns}↓)</td>` +
      `<td>${formatNumber(service.pendingPodSeconds)}</td>` +
      '</tr>'
    );
  });
  return (
    '<table><thead><tr>' +
    '<th class="name">service</th><th class="name">autoscaler metrics</th><th>peak requests/s</th>' +
    '<th>min replicas</th><th>max replicas</th><th>allowed</th><th>avg CPU utilisation / target</th>' +
    '<th>rescales</th><th>pending pod-s</th>' +
    `</tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function facts(result: SimulationResult, run: RunSummary, pools: NodePoolSummary | undefined): string {
  const poolItems: [string, string][] = pools
    ? [
        [
          'node-hours / lower bound',
          `${formatNumber(pools.nodeHours)} / ${formatNumber(pools.lowerBoundNodeHours)} (${formatRatio(pools.overLowerBound)})`,
        ],
        ['node scale-ups', `${pools.scaleUps} (+${pools.nodesAdded} nodes), ${pools.failures} failed`],
        [
          'drains',
          `${pools.scaleDown.drainsStarted} started, ${pools.scaleDown.drainsFinished} finished, ` +
            `${pools.scaleDown.drainsAborted} aborted; ${pools.scaleDown.nodesRemoved} nodes removed`,
        ],
        ...pools.goals.map((goal): [string, string] => [
          `goal: ${goal.name} ${goal.target}`,
          `${goal.measured} ${goal.met ? '✓ met' : '✗ missed'}`,
        ]),
        ...(pools.fallback?.placedWithinMs !== undefined
          ? ([['capacity failure → pods on fallback', formatSeconds(pools.fallback.placedWithinMs)]] as [
              string,
              string,
            ][])
          : []),
      ]
    : [];
  const items: [string, string][] = [
    ['services', String(run.services)],
    ['controller ticks', formatNumber(run.ticks)],
    ['rescales', `${formatNumber(run.rescales)} (${run.scaleUps}↑ ${run.scaleDowns}↓)`],
    ['max replicas', run.maxReplicas ? `${run.maxReplicas.replicas} (${run.maxReplicas.key})` : '–'],
    ['pending pod-seconds', formatNumber(run.pendingPodSeconds)],
    ['peak pods / pending', `${run.peakPods} / ${run.peakPendingPods}`],
    ['nodes', run.minNodes === run.maxNodes ? String(run.minNodes) : `${run.minNodes}–${run.maxNodes}`],
    [
      'Kubernetes API requests',
      `${formatNumber(run.kubernetesRequests)}${
        run.kubernetesRequestsPerTick !== undefined
          ? ` (${formatNumber(run.kubernetesRequestsPerTick, 1)}/tick)`
          : ''
      }`,
    ],
    ...poolItems,
    ['controller errors', String(run.controllerErrors)],
    ['wall time', `${formatNumber(result.wallTimeMs / 1000, 1)} s`],
  ];
  return `<dl class="facts">${items
    .map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`)
    .join('')}</dl>`;
}

function controllerTable(result: SimulationResult): string {
  if (result.controllers.length === 0)
    return '<p class="meta">No controllers ran: the replicas stayed as they started.</p>';
  const rows = result.controllers.map(
    (controller) =>
      '<tr>' +
      `<td class="name">${escapeHtml(controller.name)}</td>` +
      `<td>${formatNumber(controller.intervalMs / 1000)} s</td>` +
      `<td>${formatNumber(controller.ticks)}</td>` +
      `<td>${controller.errors}</td>` +
      `<td>${controller.skipped}</td>` +
      `<td>${formatNumber(controller.kubernetesRequests)}</td>` +
      `<td>${controller.ticks > 0 ? formatNumber(controller.kubernetesRequests / controller.ticks, 1) : '–'}</td>` +
      `<td>${formatNumber(controller.metricRequests)}</td>` +
      `<td>${formatNumber(controller.stateRequests)}</td>` +
      `<td>${formatNumber(controller.autoScalingRequests)}</td>` +
      `<td class="name">${escapeHtml(controller.lastError ?? '')}</td>` +
      '</tr>',
  );
  const requests = Object.entries(result.api.kubernetes.requests)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([request, count]) =>
        `<tr><td class="name">${escapeHtml(request)}</td><td>${formatNumber(count)}</td></tr>`,
    );
  return (
    '<table><thead><tr><th class="name">controller</th><th>interval</th><th>ticks</th><th>errors</th>' +
    '<th>skipped</th><th>Kubernetes requests</th><th>per tick</th><th>metric queries</th><th>state calls</th>' +
    `<th>Auto Scaling calls</th><th class="name">last error</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    (requests.length > 0
      ? '<h3>Kubernetes API requests by kind</h3><table><thead><tr><th class="name">request</th><th>count</th>' +
        `</tr></thead><tbody>${requests.join('')}</tbody></table>`
      : '')
  );
}

function poolTable(summary: NodePoolSummary): string {
  const rows = summary.pools.map(
    (pool) =>
      '<tr>' +
      `<td class="name">${escapeHtml(pool.name)}</td>` +
      `<td>${pool.priority}</td>` +
      `<td class="name">${escapeHtml(`${pool.planningInstanceType} ${pool.capacityType}`)}</td>` +
      `<td class="name">${escapeHtml(pool.groups.join(', '))}</td>` +
      `<td>${pool.minNodes === pool.maxNodes ? pool.minNodes : `${pool.minNodes}–${pool.maxNodes}`}</td>` +
      `<td>${formatNumber(pool.nodeHours, 1)}</td>` +
      `<td>${formatNumber(pool.lowerBoundNodeHours, 1)}</td>` +
      `<td>${formatRatio(pool.overLowerBound)}</td>` +
      `<td>${pool.scaleUps} (+${pool.nodesAdded})</td>` +
      `<td>${pool.failures}</td>` +
      '</tr>',
  );
  return (
    '<table><thead><tr><th class="name">pool</th><th>priority</th><th class="name">instances</th>' +
    '<th class="name">groups</th><th>nodes</th><th>node-hours</th><th>lower bound</th><th>ratio</th>' +
    `<th>scale-ups (nodes)</th><th>failures</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function decisionCells(
  decision: NodePoolDecision,
  utcOffsetMinutes: number,
): [string, string, string, string] {
  switch (decision.kind) {
    case 'scale-up':
      return [
        `${decision.rebalance ? 'rebalance ' : ''}scale-up${decision.result === 'applied' ? '' : ` (${decision.result})`}`,
        decision.pool,
        decision.asgName,
        `${decision.from} → ${decision.to} for ${decision.pods} pod(s)${decision.rebalance ? ' on fallback nodes' : ''}`,
      ];
    case 'failure':
      return [
        `failure: ${decision.failure}`,
        decision.pool,
        decision.asgName,
        `${decision.message}` +
          (decision.resetTo !== undefined ? `; desired set back to ${decision.resetTo}` : '') +
          `; backed off until ${formatLocalClock(decision.backedOffUntil, utcOffsetMinutes)}`,
      ];
    case 'fault':
      return ['fault', '', '', decision.description];
    case 'interruption':
      return [
        interruptionLabel(decision.event),
        decision.pool,
        decision.node,
        `${decision.instanceId}: ${decision.status}` +
          (decision.deadline !== undefined
            ? `; taken at ${formatLocalClock(decision.deadline, utcOffsetMinutes)}`
            : ''),
      ];
    case 'drain-started':
      return ['drain started', decision.pool, decision.node, decision.reason];
    case 'node-removed':
      return ['node removed', decision.pool, decision.node, decision.reason];
    case 'drain-aborted':
      return ['drain aborted', decision.pool, decision.node, decision.reason];
  }
}

function decisionTable(result: SimulationResult, maxRows: number): string {
  const run = result.nodePools;
  if (!run) return '';
  const offset = result.scenario.utcOffsetMinutes;
  const faults: NodePoolDecision[] = result.faults.map((applied) => ({
    time: applied.time,
    kind: 'fault',
    description: applied.description,
  }));
  const all = [...faults, ...run.decisions].sort((a, b) => a.time - b.time);
  if (all.length === 0) return '<p class="meta">No node-pool decisions: the pools held every pod.</p>';
  const rows = all.slice(0, maxRows).map((decision) => {
    const [event, pool, group, detail] = decisionCells(decision, offset);
    const routine = ['scale-up', 'drain-started', 'node-removed'].includes(decision.kind);
    const cls = routine ? '' : ' class="over"';
    return (
      '<tr>' +
      `<td class="name">${formatLocalClock(decision.time, offset)}</td>` +
      `<td class="name"${cls}>${escapeHtml(event)}</td>` +
      `<td class="name">${escapeHtml(pool)}</td>` +
      `<td class="name">${escapeHtml(group)}</td>` +
      `<td class="name">${escapeHtml(detail)}</td>` +
      '</tr>'
    );
  });
  const more =
    all.length > maxRows ? `<p class="meta">… and ${all.length - maxRows} more decisions.</p>` : '';
  return (
    '<table><thead><tr><th class="name">time</th><th class="name">event</th><th class="name">pool</th>' +
    `<th class="name">group / node</th><th class="name">detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    more
  );
}

function interruptionLabel(kind: InterruptionOutcome['kind']): string {
  return kind === 'spot-interruption' ? 'spot interruption warning' : 'rebalance recommendation';
}

/** For a recorded spot warning: how long its node's pods took to be Ready elsewhere, in words. */
function podMoveText(outcome: InterruptionOutcome): string {
  if (outcome.kind !== 'spot-interruption' || outcome.status !== 'recorded') return '';
  if (outcome.podsToMove === undefined) return 'pods not seen';
  if (outcome.podsToMove === 0) return 'no pods to move';
  if (outcome.podsReadyElsewhereAt === undefined)
    return `${outcome.podsToMove} pods, not all Ready elsewhere`;
  return `${outcome.podsToMove} pods Ready elsewhere after ${formatSeconds(outcome.podsReadyElsewhereAt - outcome.warnedAt)}`;
}

function interruptionTable(result: SimulationResult): string {
  const outcomes = result.nodePools?.interruptions ?? [];
  if (outcomes.length === 0) return '';
  const offset = result.scenario.utcOffsetMinutes;
  const rows = outcomes.map(
    (outcome) =>
      '<tr>' +
      `<td class="name">${formatLocalClock(outcome.warnedAt, offset)}</td>` +
      `<td class="name">${escapeHtml(interruptionLabel(outcome.kind))}</td>` +
      `<td class="name">${escapeHtml(`${outcome.instanceId} (${outcome.node})`)}</td>` +
      `<td class="name">${escapeHtml(outcome.status)}</td>` +
      `<td class="name">${outcome.deadline !== undefined ? formatLocalClock(outcome.deadline, offset) : '–'}</td>` +
      `<td class="name">${escapeHtml(podMoveText(outcome) || '–')}</td>` +
      '</tr>',
  );
  return (
    '<h3>Spot warnings and rebalance recommendations</h3>' +
    '<table><thead><tr><th class="name">time</th><th class="name">event</th><th class="name">instance (node)</th>' +
    '<th class="name">status</th><th class="name">taken at</th><th class="name">pods</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function fallbackParagraph(result: SimulationResult, summary: NodePoolSummary): string {
  const episode = summary.fallback;
  const offset = result.scenario.utcOffsetMinutes;
  const faults = result.faults.map(
    (applied) => `${escapeHtml(applied.description)} at ${formatLocalClock(applied.time, offset)}`,
  );
  const lines: string[] = [];
  if (faults.length > 0) lines.push(`Faults: ${faults.join('; ')}.`);
  if (episode?.placedWithinMs !== undefined && episode.lastPlacedAt !== undefined) {
    lines.push(
      `Capacity failure → pods on fallback: <strong>${formatSeconds(episode.placedWithinMs)}</strong>. ` +
        `The scale-up of ${escapeHtml(episode.asgName)} (pool ${escapeHtml(episode.pool)}) failed ` +
        `(${escapeHtml(episode.failure)}), visible at ${formatLocalClock(episode.visibleAt, offset)}; the loop ` +
        `backed the group off at ${formatLocalClock(episode.detectedAt, offset)} and ${episode.fallbackPods} ` +
        `pending pod(s) were placed on ${escapeHtml(episode.fallbackPools.join(', '))} nodes, the last at ` +
        `${formatLocalClock(episode.lastPlacedAt, offset)} (one tick plus boot: ` +
        `${formatSeconds(summary.fallbackBoundMs)}).`,
    );
  } else if (faults.length > 0 && summary.failures > 0) {
    lines.push('No pod had to go to a lower-priority pool after the failures.');
  }
  return lines.length > 0 ? `<p>${lines.join('<br>')}</p>` : '';
}

function unplaceableList(result: SimulationResult): string {
  const reasons = result.nodePools?.unplaceableReasons ?? [];
  if (reasons.length === 0) return '';
  const items = reasons
    .slice(0, 10)
    .map((entry) => `<li>${escapeHtml(entry.reason)} (${formatNumber(entry.ticks)} ticks)</li>`);
  return `<h3>Why pods fitted no pool</h3><ul>${items.join('')}</ul>`;
}

/** The timeline spans the page; its height grows with the lanes it shows. */
const TIMELINE_WIDTH = 1120;
const TIMELINE_BASE_HEIGHT = 90;
const TIMELINE_LANE_HEIGHT = 26;

function figure(svg: string, caption?: string): string {
  return `<figure>${svg}${caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : ''}</figure>`;
}

/**
 * The whole report as one HTML document: summary figures and table, cluster charts ("Nodes", "Pending
 * pods", CPU requested vs allocatable), when the node-pool loop ran its section (node-hours against the
 * lower bound, each pool's nodes over the run, the fallback after a capacity failure, the decisions),
 * and "requests per second vs pods" charts titled with the service's `namespace/name`: one per service
 * for up to 12, else for a selection (`chartedServices`; the table lists every service). Every table
 * scrolls in a box of its own, so the page is never wider than the window.
 *
 * @example
 * writeFileSync('report.html', renderReport(result, { subtitle: 'HPA loop, dry run off' }));
 */
export function renderReport(result: SimulationResult, options: ReportOptions = {}): string {
  const scenario = result.scenario;
  const title = options.title ?? `tideplane simulation: ${scenario.name}`;
  const serviceSize = options.serviceChartSize ?? { width: 400, height: 230 };
  const clusterSize = options.clusterChartSize ?? { width: 560, height: 260 };
  const axis = timeAxis(result);
  const time = { startLocalHour: axis.startLocalHour, durationHours: axis.durationHours };
  const run = summarizeRun(result);
  const services = summarizeServices(result);
  const pools = summarizeNodePools(result);

  const poolFigures =
    pools && result.nodePools
      ? [
          figure(renderBarChart(nodeHoursChart(pools.pools), clusterSize)),
          ...pools.pools.map((pool) => {
            const series = result.nodePools?.series[pool.name] ?? { nodes: [], desired: [], lowerBound: [] };
            return figure(
              renderTimeChart(poolChart(pool, axis.hours, series), clusterSize, time),
              `${formatNumber(pool.nodeHours, 1)} node-hours, lower bound ${formatNumber(pool.lowerBoundNodeHours, 1)}`,
            );
          }),
        ]
      : [];
  const poolSection =
    pools && result.nodePools
      ? [
          '<h2>Node pools</h2>',
          fallbackParagraph(result, pools),
          poolTable(pools),
          interruptionTable(result),
          `<div class="grid cluster">${poolFigures.join('')}</div>`,
          '<h3>Decisions</h3>',
          decisionTable(result, options.maxDecisionRows ?? DEFAULT_MAX_DECISION_ROWS),
          unplaceableList(result),
        ]
      : [];

  const controlPlaneSection = result.controlPlane
    ? [
        renderControlPlaneSection(result.controlPlane, {
          hours: axis.hours,
          time,
          size: clusterSize,
          utcOffsetMinutes: scenario.utcOffsetMinutes,
        }),
      ]
    : [];

  const vpaSection = result.vpa
    ? [
        renderVpaSection(result.vpa, {
          start: scenario.start,
          time,
          size: clusterSize,
          utcOffsetMinutes: scenario.utcOffsetMinutes,
        }),
      ]
    : [];

  const quotaSection = result.quotas
    ? [
        renderQuotaSection(result.quotas, {
          start: scenario.start,
          time,
          size: clusterSize,
          utcOffsetMinutes: scenario.utcOffsetMinutes,
          pendingPodSeconds: result.pendingPodSeconds,
          pendingPods: result.series.cluster.pendingPods,
        }),
      ]
    : [];

  const clusterFigures = clusterCharts(result, axis.hours).map((chart) =>
    figure(renderTimeChart(chart, clusterSize, time)),
  );
  const decisions = timelineEvents(result);
  const timelineSection =
    decisions.length > 0
      ? [
          '<h2>Timeline of decisions</h2>',
          figure(
            renderTimelineChart(
              decisions,
              {
                width: TIMELINE_WIDTH,
                height: TIMELINE_BASE_HEIGHT + TIMELINE_LANE_HEIGHT * usedLanes(decisions).length,
              },
              { start: scenario.start, ...time },
            ),
            `${decisions.length} decisions: ${usedLanes(decisions)
              .map((lane) => `${decisions.filter((d) => d.lane === lane.lane).length} ${lane.lane}`)
              .join(', ')}`,
          ),
        ]
      : [];
  const selection = chartedServices(result, options);
  const serviceFigures = selection.services.map(({ key, reasons }) => {
    const series = result.series.services[key];
    const service = services.find((s) => s.key === key);
    if (!series || !service) return '';
    const caption =
      `replicas ${service.minReplicas}–${service.maxReplicas}, ${service.rescales} ` +
      (service.rescales === 1 ? 'rescale' : 'rescales') +
      (service.averageUtilization !== undefined
        ? `, avg CPU ${formatNumber(service.averageUtilization)} %`
        : '') +
      (service.targetUtilization !== undefined ? ` (target ${service.targetUtilization} %)` : '') +
      (reasons.length > 0 ? `; selected: ${reasons.join(', ')}` : '');
    return figure(renderTimeChart(serviceChart(key, axis.hours, series), serviceSize, time), caption);
  });

  const meta =
    `${escapeHtml(scenario.description)}<br>` +
    `Cluster ${escapeHtml(scenario.clusterName)}, ${formatLocalTime(scenario.start, scenario.utcOffsetMinutes)} to ` +
    `${formatLocalTime(scenario.end, scenario.utcOffsetMinutes)} (${formatOffset(scenario.utcOffsetMinutes)}), ` +
    `${formatDuration(scenario.durationMs)} of virtual time, samples every ` +
    `${formatNumber(scenario.sampleIntervalMs / 60_000, 1)} min.` +
    (options.subtitle ? `<br>${escapeHtml(options.subtitle)}` : '');

  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${meta}</p>`,
    '<h2>Summary</h2>',
    facts(result, run, pools),
    ...(options.extraSections ?? []),
    '<h2>Services</h2>',
    serviceTable(services),
    '<h2>Cluster</h2>',
    `<div class="grid cluster">${clusterFigures.join('')}</div>`,
    ...timelineSection,
    ...controlPlaneSection,
    ...vpaSection,
    ...quotaSection,
    ...poolSection,
    ...serviceChartsHeading(selection),
    `<div class="grid services">${serviceFigures.join('')}</div>`,
    '<h2>Controllers and API cost</h2>',
    controllerTable(result),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    // Every table, this file's and the sections', in a box of its own: the page stays as wide as the window.
    boxTables(body.join('\n')),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The services `renderReport` charts and why: `options.services`, else all of up to 12, else 12 chosen
 * to show the policy at work (report-selection.ts). Only services with series count.
 *
 * @example chartedServices(result).services.map((s) => s.key)
 */
export function chartedServices(
  result: SimulationResult,
  options: Pick<ReportOptions, 'services'> = {},
): ServiceSelection {
  const withSeries = summarizeServices(result).filter((service) => result.series.services[service.key]);
  return selectServices(withSeries, options.services ? { requested: options.services } : {});
}

/** The heading of the service charts, and when not every service is drawn, how many are and why. */
function serviceChartsHeading(selection: ServiceSelection): string[] {
  const drawn = selection.services.length;
  if (selection.mode === 'all') return ['<h2>Requests per second vs pods</h2>'];
  const how =
    selection.mode === 'scenario'
      ? 'chosen in the scenario (<code>report.services</code>)'
      : 'chosen to show the policy at work (a service of each kind of metric, then those that reached ' +
        'maxReplicas, waited longest for nodes, swung most and rescaled most; the reasons are under each chart)';
  return [
    '<h2>Requests per second vs pods: selected services</h2>',
    `<p class="meta">Charts of <strong>${drawn} of ${selection.total}</strong> services, ${how}. ` +
      `The Services table above lists all ${selection.total}.</p>`,
  ];
}

/** The titles of the charts `renderReport` draws with these options, in order (for tests and tools). */
export function reportChartTitles(
  result: SimulationResult,
  options: Pick<ReportOptions, 'services'> = {},
): string[] {
  return [
    CLUSTER_CHART_TITLES.nodes,
    CLUSTER_CHART_TITLES.pending,
    CLUSTER_CHART_TITLES.cpu,
    ...(timelineEvents(result).length > 0 ? [TIMELINE_CHART_TITLE] : []),
    ...(result.controlPlane ? controlPlaneChartTitles(result.controlPlane) : []),
    ...(result.vpa ? vpaChartTitles(result.vpa) : []),
    ...(result.quotas ? quotaChartTitles(result.quotas) : []),
    ...(result.nodePools
      ? [NODE_HOURS_CHART_TITLE, ...result.nodePools.pools.map((pool) => poolChartTitle(pool))]
      : []),
    ...chartedServices(result, options).services.map((service) => service.key),
  ];
}

/**
 * A few lines for the terminal.
 *
 * @example
 * console.log(renderSummary(result));
 * // default-day on sim-eu-central-1: 24h00 virtual in 95 s (…steps)
 * // 35 services, 5,760 ticks, 166 rescales (90 up, 76 down), max replicas 60 (storefront/web)
 * // ...
 */
export function renderSummary(result: SimulationResult): string {
  const run = summarizeRun(result);
  const scenario = result.scenario;
  const perTick =
    run.kubernetesRequestsPerTick !== undefined
      ? ` (${formatNumber(run.kubernetesRequestsPerTick, 1)} per tick)`
      : '';
  const lines = [
    `${scenario.name} on ${scenario.clusterName}: ${formatDuration(scenario.durationMs)} virtual in ` +
      `${formatNumber(result.wallTimeMs / 1000, 1)} s (${formatNumber(result.steps)} steps)`,
    `${run.services} services, ${formatNumber(run.ticks)} ticks, ${formatNumber(run.rescales)} rescales ` +
      `(${run.scaleUps} up, ${run.scaleDowns} down), max replicas ` +
      (run.maxReplicas ? `${run.maxReplicas.replicas} (${run.maxReplicas.key})` : '–'),
    `pending pod-seconds ${formatNumber(run.pendingPodSeconds)}, peak pods ${run.peakPods} ` +
      `(peak pending ${run.peakPendingPods}), nodes ${run.minNodes === run.maxNodes ? run.minNodes : `${run.minNodes}–${run.maxNodes}`}`,
    `Kubernetes API requests ${formatNumber(run.kubernetesRequests)}${perTick}, controller errors ${run.controllerErrors}`,
    ...nodePoolLines(summarizeNodePools(result)),
    ...interruptionLines(result),
    ...(result.controlPlane ? controlPlaneLines(result.controlPlane, scenario.utcOffsetMinutes) : []),
    ...(result.vpa ? vpaLines(result.vpa) : []),
    ...(result.quotas
      ? quotaLines(result.quotas, {
          utcOffsetMinutes: scenario.utcOffsetMinutes,
          pendingPodSeconds: result.pendingPodSeconds,
        })
      : []),
  ];
  return lines.join('\n');
}

/** One line per spot warning or rebalance recommendation the loop got. */
function interruptionLines(result: SimulationResult): string[] {
  const offset = result.scenario.utcOffsetMinutes;
  return (result.nodePools?.interruptions ?? []).map((outcome) => {
    const moved = podMoveText(outcome);
    return (
      `${interruptionLabel(outcome.kind)} ${formatLocalClock(outcome.warnedAt, offset)}: ` +
      `${outcome.instanceId} (${outcome.node}) ${outcome.status}` +
      (outcome.deadline !== undefined ? `, taken at ${formatLocalClock(outcome.deadline, offset)}` : '') +
      (moved ? `; ${moved}` : '')
    );
  });
}

function nodePoolLines(summary: NodePoolSummary | undefined): string[] {
  if (!summary) return [];
  const pools = summary.pools
    .map((pool) => {
      const nodes =
        pool.minNodes === pool.maxNodes ? `${pool.minNodes}` : `${pool.minNodes}–${pool.maxNodes}`;
      return `${pool.name} ${nodes}`;
    })
    .join(', ');
  const lines = [
    `node pools: ${pools} nodes; ${summary.scaleUps} scale-ups (+${summary.nodesAdded} nodes), ` +
      `${summary.failures} failed`,
    `node-hours ${formatNumber(summary.nodeHours, 1)} vs lower bound ${formatNumber(summary.lowerBoundNodeHours, 1)} ` +
      `(${formatRatio(summary.overLowerBound)})`,
  ];
  const down = summary.scaleDown;
  lines.push(
    `scale-down: ${down.drainsStarted} drains started, ${down.drainsFinished} finished, ` +
      `${down.drainsAborted} aborted, ${down.nodesRemoved} nodes removed`,
  );
  for (const goal of summary.goals) {
    lines.push(`goal ${goal.name} ${goal.target}: ${goal.measured} ${goal.met ? '✓' : '✗'}`);
  }
  const fallback = summary.fallback;
  if (fallback?.placedWithinMs !== undefined) {
    lines.push(
      `capacity failure → pods on fallback: ${formatSeconds(fallback.placedWithinMs)} ` +
        `(${fallback.fallbackPods} pods on ${fallback.fallbackPools.join(', ')}, ${fallback.asgName} ${fallback.failure})`,
    );
  }
  return lines;
}
