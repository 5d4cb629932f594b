/**
 * The baseline a scenario is compared with: the same cluster, trace and seed, run with what a cluster gets
 * from the upstream projects at their defaults instead of tideplane's policies. The loops stay tideplane's
 * code (the simulator has no other), set to behave as the upstream components do, so the comparison shows
 * what the policies are worth, not differences between two simulators. Pure: a scenario in, a scenario out.
 *
 * `BASELINE_MODEL` lists every assumption with where its number comes from; the report prints it.
 */
import type { Scenario, ScenarioService } from './scenario';

/** One assumption of the baseline: which component, what it does there, and the source of the numbers. */
export interface BaselineAssumption {
  component: string;
  models: string;
  source: string;
}

/** cluster-autoscaler's defaults (FAQ, "What are the parameters to CA?"). */
export const CLUSTER_AUTOSCALER_DEFAULTS = {
  /** `--scan-interval` 10 s. */
  scanIntervalSeconds: 10,
  /** `--max-node-provision-time` 15 min: a scale-up that brings no node counts as failed only then. */
  maxNodeProvisionSeconds: 900,
  /** `--initial-node-group-backoff-duration` 5 min, `--max-node-group-backoff-duration` 30 min. */
  initialBackoffSeconds: 300,
  maxBackoffSeconds: 1800,
  /** `--node-group-backoff-reset-timeout` 3 h. */
  backoffResetSeconds: 10_800,
  /** `--scale-down-unneeded-time` 10 min, `--scale-down-delay-after-add` 10 min. */
  scaleDownUnneededSeconds: 600,
  scaleDownDelayAfterAddSeconds: 600,
  /** `--scale-down-utilization-threshold` 0.5, for every node group alike. */
  scaleDownUtilizationThreshold: 0.5,
} as const;

export const BASELINE_MODEL: readonly BaselineAssumption[] = [
  {
    component: 'HorizontalPodAutoscaler',
    models:
      'the autoscaling/v2 algorithm as kube-controller-manager runs it every 15 s, with default behavior: ' +
      "each autoscaler's own behavior is removed (scale-up at once, up to 100 % or 4 pods per 15 s; " +
      'scale-down stabilized over 5 min, up to 100 % per 15 s); its metrics stay',
    source:
      'Kubernetes docs, "Horizontal Pod Autoscaling", default behavior; --horizontal-pod-autoscaler-sync-period 15s',
  },
  {
    component: 'cluster-autoscaler',
    models:
      `the node-pool loop every ${CLUSTER_AUTOSCALER_DEFAULTS.scanIntervalSeconds} s, a scale-up failing only after ` +
      `${CLUSTER_AUTOSCALER_DEFAULTS.maxNodeProvisionSeconds / 60} min without a node (or at once on an error AWS ` +
      `reports), backoff ${CLUSTER_AUTOSCALER_DEFAULTS.initialBackoffSeconds / 60} min doubling to ` +
      `${CLUSTER_AUTOSCALER_DEFAULTS.maxBackoffSeconds / 60} min, reset after ` +
      `${CLUSTER_AUTOSCALER_DEFAULTS.backoffResetSeconds / 3600} h, no unavailable-offering cache; scale-down after ` +
      `${CLUSTER_AUTOSCALER_DEFAULTS.scaleDownUnneededSeconds / 60} min unneeded, ` +
      `${CLUSTER_AUTOSCALER_DEFAULTS.scaleDownDelayAfterAddSeconds / 60} min after a scale-up, below ` +
      `${CLUSTER_AUTOSCALER_DEFAULTS.scaleDownUtilizationThreshold * 100} % utilization on every pool (fallback ` +
      'pools are not emptied first, nothing moves back to the preferred pool); the priority expander as configured',
    source:
      'cluster-autoscaler FAQ, "What are the parameters to CA?" (defaults of 1.30–1.34); early abort on failed ' +
      'AWS scaling activities since kubernetes/autoscaler#4489',
  },
  {
    component: 'spot interruptions',
    models:
      'drained on the two-minute warning as tideplane does, as aws-node-termination-handler in queue mode ' +
      'does next to cluster-autoscaler',
    source: 'aws-node-termination-handler README (queue processor mode)',
  },
  {
    component: 'VerticalPodAutoscaler',
    models:
      "the recommender with upstream's OOM handling (one synthetic peak of max(+100 MiB, ×1.2) of the request " +
      'per kill), the same updater rules, no in-place raise of old pods',
    source:
      'kubernetes/autoscaler vertical-pod-autoscaler: recommender oom defaults (oom-bump-up-ratio 1.2, oom-min-bump-up-bytes 100 MiB)',
  },
  {
    component: 'control plane',
    models:
      'stays on its starting instance type all day (the control-plane loop decides in dry run, so the ' +
      'latency it would have had is measured the same way)',
    source: 'no upstream component resizes self-managed control planes',
  },
  {
    component: 'controller state',
    models:
      "kept in the controllers' memory (the simulator's in-memory state store), not in DynamoDB: the " +
      "baseline's state requests are not AWS calls and are not counted; a lambda-crash fault does not " +
      'clear it',
    source:
      "kube-controller-manager's HPA controller keeps its recommendations in process (pkg/controller/podautoscaler), " +
      'cluster-autoscaler its cluster state registry',
  },
  {
    component: 'AWS quotas',
    models: 'raised by hand, never during the day (the quota loop decides in dry run and files nothing)',
    source: 'the manual process the quota job replaces',
  },
];

function withoutBehavior(service: ScenarioService): ScenarioService {
  if (!service.autoscaler?.behavior) return service;
  const { behavior: _dropped, ...autoscaler } = service.autoscaler;
  return { ...service, autoscaler };
}

/**
 * The scenario as the baseline runs it (see `BASELINE_MODEL`).
 *
 * @example const baseline = baselineScenario(createDefaultDayScenario()); // same trace, upstream defaults
 */
export function baselineScenario(scenario: Scenario): Scenario {
  const ca = CLUSTER_AUTOSCALER_DEFAULTS;
  return {
    ...scenario,
    name: `${scenario.name} (baseline)`,
    services: scenario.services.map(withoutBehavior),
    ...(scenario.nodePools
      ? {
          nodePools: {
            ...scenario.nodePools,
            intervalSeconds: ca.scanIntervalSeconds,
            provisionTimeoutSeconds: ca.maxNodeProvisionSeconds,
            backoff: {
              initialSeconds: ca.initialBackoffSeconds,
              maxSeconds: ca.maxBackoffSeconds,
              resetSeconds: ca.backoffResetSeconds,
            },
            unavailableOfferingSeconds: 0,
            scaleDown: {
              ...scenario.nodePools.scaleDown,
              unneededSeconds: ca.scaleDownUnneededSeconds,
              delayAfterAddSeconds: ca.scaleDownDelayAfterAddSeconds,
              utilizationThreshold: ca.scaleDownUtilizationThreshold,
              fallbackUtilizationThreshold: ca.scaleDownUtilizationThreshold,
            },
            // Per-pool backoffs are tideplane's; cluster-autoscaler has one setting for all groups.
            pools: (scenario.nodePools.pools ?? []).map(({ backoff: _own, ...pool }) => pool),
          },
        }
      : {}),
    ...(scenario.vpa
      ? {
          vpa: {
            ...scenario.vpa,
            settings: {
              ...scenario.vpa.settings,
              oomPolicy: 'upstream',
              update: { ...scenario.vpa.settings?.update, resizeInPlace: false },
            },
          },
        }
      : {}),
    ...(scenario.controlPlane
      ? {
          controlPlane: {
            ...scenario.controlPlane,
            settings: { ...scenario.controlPlane.settings, dryRun: true },
          },
        }
      : {}),
    ...(scenario.quotas
      ? { quotas: { ...scenario.quotas, settings: { ...scenario.quotas.settings, dryRun: true } } }
      : {}),
  };
}
