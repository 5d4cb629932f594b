/**
 * The parts of an `autoscaling.k8s.io/v1` VerticalPodAutoscaler's `spec.resourcePolicy` the recommender
 * reads, in the core's units (millicores, bytes). The loop converts quantities when it parses the object.
 *
 * Lookup follows upstream `GetContainerResourcePolicy`: a policy naming the container wins, otherwise
 * the `*` policy applies, otherwise none.
 */
import { RESOURCE_NAMES, type ResourceAmounts, type ResourceName } from './resource-amount';

/** The `containerName` of the policy that applies to containers without their own. */
export const DEFAULT_CONTAINER_POLICY_NAME = '*';

export type ContainerScalingMode = 'Auto' | 'Off';
/** Only matters when applying a recommendation (limits follow requests or stay); kept for the updater. */
export type ControlledValues = 'RequestsAndLimits' | 'RequestsOnly';

export interface ContainerResourcePolicy {
  containerName: string;
  mode?: ContainerScalingMode;
  minAllowed?: ResourceAmounts;
  maxAllowed?: ResourceAmounts;
  /** Default: both cpu and memory. */
  controlledResources?: readonly ResourceName[];
  /** Default: RequestsAndLimits. */
  controlledValues?: ControlledValues;
}

export interface PodResourcePolicy {
  containerPolicies?: readonly ContainerResourcePolicy[];
}

/** A policy the recommender can apply but the user probably did not mean; reported as a condition. */
export interface PolicyProblem {
  containerName: string;
  resource: ResourceName;
  code: 'MinAllowedAboveMaxAllowed';
  message: string;
}

/**
 * The policy for one container.
 *
 * @example containerPolicyFor('app', { containerPolicies: [{ containerName: '*', mode: 'Off' }] })?.mode // 'Off'
 */
export function containerPolicyFor(
  containerName: string,
  policy: PodResourcePolicy | undefined,
): ContainerResourcePolicy | undefined {
  let fallback: ContainerResourcePolicy | undefined;
  for (const candidate of policy?.containerPolicies ?? []) {
    if (candidate.containerName === containerName) return candidate;
    if (candidate.containerName === DEFAULT_CONTAINER_POLICY_NAME) fallback = candidate;
  }
  return fallback;
}

export function scalingModeOf(policy: ContainerResourcePolicy | undefined): ContainerScalingMode {
  return policy?.mode ?? 'Auto';
}

export function controlledResourcesOf(policy: ContainerResourcePolicy | undefined): readonly ResourceName[] {
  return policy?.controlledResources ?? RESOURCE_NAMES;
}

export function controlledValuesOf(policy: ContainerResourcePolicy | undefined): ControlledValues {
  return policy?.controlledValues ?? 'RequestsAndLimits';
}

/**
 * Policies whose minAllowed exceeds maxAllowed. Upstream applies the minimum, then the maximum, so the
 * maximum wins; the recommender does the same and reports the contradiction.
 */
export function policyProblems(policy: PodResourcePolicy | undefined): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const containerPolicy of policy?.containerPolicies ?? []) {
    for (const resource of RESOURCE_NAMES) {
      const min = containerPolicy.minAllowed?.[resource];
      const max = containerPolicy.maxAllowed?.[resource];
      if (min !== undefined && max !== undefined && max > 0 && min > max) {
        problems.push({
          containerName: containerPolicy.containerName,
          resource,
          code: 'MinAllowedAboveMaxAllowed',
          message: `${resource} minAllowed ${min} is above maxAllowed ${max}; maxAllowed wins`,
        });
      }
    }
  }
  return problems;
}
