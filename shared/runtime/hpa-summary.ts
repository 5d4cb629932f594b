import type { HpaTickSummary } from '../loops/hpa-loop';

/** A tick as a person reads it in the Lambda console or the CLI. */
export function renderTickSummary(tick: HpaTickSummary): string {
  const mode = tick.dryRun ? ' (dry run: nothing changed)' : '';
  const head =
    `${tick.cluster} @ ${new Date(tick.time).toISOString()}${mode}: ${tick.outcomes.length} autoscaler(s), ` +
    `${tick.counts.rescaled} rescaled, ${tick.counts.wouldRescale} would rescale, ` +
    `${tick.counts.blocked} blocked, ${tick.counts.failed} failed, ${tick.counts.skipped} skipped`;
  const lines = tick.outcomes.map((o) => {
    const replicas =
      o.currentReplicas === undefined
        ? ''
        : ` ${o.currentReplicas} → ${o.desiredReplicas ?? o.currentReplicas}`;
    return `  ${o.kind === 'HorizontalPodAutoscaler' ? 'hpa' : 'tpa'} ${o.namespace}/${o.name}:${replicas} [${o.action}] ${o.reason}`;
  });
  return [head, ...lines].join('\n');
}
