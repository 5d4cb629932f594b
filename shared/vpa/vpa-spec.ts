/**
 * An `autoscaling.k8s.io/v1` VerticalPodAutoscaler's spec, validated and in the core's units: the raw
 * object comes from the API server as the user wrote it, so every problem is reported (for a condition
 * and an Event on the VPA), never thrown past the loop.
 */
import { z } from 'zod';
import { isQuantity, parseMilli, QuantityError } from '../units/quantity';
import type { ContainerResourcePolicy, PodResourcePolicy } from './policy';
import type { ResourceAmounts } from './resource-amount';

export type UpdateMode = 'Off' | 'Initial' | 'Recreate' | 'Auto' | 'InPlaceOrRecreate';

export interface VpaSpec {
  targetRef: { apiVersion: string; kind: string; name: string };
  /** Upstream's default is `Auto` (`Recreate` today). */
  updateMode: UpdateMode;
  /** `spec.recommenders[].name`; empty: the default recommender's. */
  recommenders: string[];
  resourcePolicy: PodResourcePolicy;
  /** `spec.updatePolicy.minReplicas`: evictions (and rollouts) need at least this many live replicas. */
  minReplicas?: number;
}

export type VpaSpecParse = { ok: true; spec: VpaSpec } | { ok: false; problems: string[] };

const quantity = z.string().refine(isQuantity, 'a Kubernetes quantity like 250m or 1Gi');
const resourceList = z.record(z.string(), quantity);

const containerPolicySchema = z.object({
  containerName: z.string().min(1),
  mode: z.enum(['Auto', 'Off']).optional(),
  minAllowed: resourceList.optional(),
  maxAllowed: resourceList.optional(),
  controlledResources: z.array(z.enum(['cpu', 'memory'])).optional(),
  controlledValues: z.enum(['RequestsAndLimits', 'RequestsOnly']).optional(),
});

const specSchema = z.object({
  targetRef: z.object({
    apiVersion: z.string().min(1).default('apps/v1'),
    kind: z.string().min(1),
    name: z.string().min(1),
  }),
  updatePolicy: z
    .object({
      updateMode: z.enum(['Off', 'Initial', 'Recreate', 'Auto', 'InPlaceOrRecreate']).optional(),
      minReplicas: z.number().int().min(1).optional(),
    })
    .optional(),
  resourcePolicy: z.object({ containerPolicies: z.array(containerPolicySchema).optional() }).optional(),
  recommenders: z.array(z.object({ name: z.string().min(1) })).optional(),
});

/** Millicores for cpu, bytes for memory (both as `MilliValue` rounds, memory back to whole bytes). */
function amounts(
  list: Record<string, string> | undefined,
  where: string,
  problems: string[],
): ResourceAmounts | undefined {
  if (!list) return undefined;
  const out: ResourceAmounts = {};
  for (const [name, value] of Object.entries(list)) {
    try {
      if (name === 'cpu') out.cpu = parseMilli(value);
      else if (name === 'memory') out.memory = Math.ceil(parseMilli(value) / 1000);
    } catch (error) {
      if (!(error instanceof QuantityError)) throw error;
      problems.push(`${where}.${name}: ${error.message}`);
    }
  }
  return out;
}

/**
 * Validates a VPA's raw spec.
 *
 * @example parseVpaSpec({ targetRef: { kind: 'Deployment', name: 'web' }, updatePolicy: { updateMode: 'Off' } })
 * // { ok: true, spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, updateMode: 'Off', ... } }
 */
export function parseVpaSpec(raw: unknown): VpaSpecParse {
  const parsed = specSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const path = issue.path.map(String).join('.');
        return path ? `spec.${path}: ${issue.message}` : `spec: ${issue.message}`;
      }),
    };
  }
  const spec = parsed.data;
  const problems: string[] = [];
  const containerPolicies: ContainerResourcePolicy[] = (spec.resourcePolicy?.containerPolicies ?? []).map(
    (policy, index) => {
      const where = `spec.resourcePolicy.containerPolicies[${index}]`;
      const minAllowed = amounts(policy.minAllowed, `${where}.minAllowed`, problems);
      const maxAllowed = amounts(policy.maxAllowed, `${where}.maxAllowed`, problems);
      return {
        containerName: policy.containerName,
        ...(policy.mode ? { mode: policy.mode } : {}),
        ...(minAllowed ? { minAllowed } : {}),
        ...(maxAllowed ? { maxAllowed } : {}),
        ...(policy.controlledResources ? { controlledResources: policy.controlledResources } : {}),
        ...(policy.controlledValues ? { controlledValues: policy.controlledValues } : {}),
      };
    },
  );
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    spec: {
      targetRef: spec.targetRef,
      updateMode: spec.updatePolicy?.updateMode ?? 'Auto',
      recommenders: (spec.recommenders ?? []).map((r) => r.name),
      resourcePolicy: { containerPolicies },
      ...(spec.updatePolicy?.minReplicas !== undefined ? { minReplicas: spec.updatePolicy.minReplicas } : {}),
    },
  };
}

/**
 * Whether tideplane recommends for this VPA: it names tideplane's recommender, or names none and
 * tideplane also takes the default recommender's VPAs (`claimDefault`, only when no in-cluster
 * recommender runs). Upstream's recommender leaves VPAs that name another recommender alone, so the two
 * never both write one VPA.
 */
export function ownsVpa(
  spec: Pick<VpaSpec, 'recommenders'>,
  recommenderName: string,
  claimDefault: boolean,
): boolean {
  if (spec.recommenders.length === 0) return claimDefault;
  return spec.recommenders.includes(recommenderName);
}
