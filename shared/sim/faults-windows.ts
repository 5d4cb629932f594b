/**
 * Fault windows: AWS throttling and Kubernetes API errors armed on the simulated ports for a time. Each
 * port already fails calls on demand (`failNext`, api-calls.ts); a window arms an endless failure whose
 * error function counts the calls it refuses and ends the failure once the window has closed.
 */
import { AutoScalingError } from '../ports/auto-scaling';
import { Ec2Error } from '../ports/ec2';
import { ConflictError, ForbiddenError, type KubernetesPort } from '../ports/kubernetes';
import { ServiceQuotasError } from '../ports/service-quotas';
import { UsageMetricsError } from '../ports/usage-metrics';
import type { VpaPort } from '../ports/vertical-pod-autoscalers';
import type { ErrorFactory } from './api-calls';
import type { SimCloud } from './cloud';
import type { SimEc2 } from './ec2';
import type { ApiErrorsFault, AwsThrottlingFault, FaultWindowRecord, FaultWorld } from './faults';
import type { SimServiceQuotas } from './service-quotas';
import type { SimSqs } from './sim-sqs';

/** How a failing Kubernetes API call fails. */
export type KubernetesApiError = 'server-error' | 'too-many-requests' | 'timeout' | 'conflict' | 'forbidden';

export const KUBERNETES_API_ERRORS: readonly KubernetesApiError[] = [
  'server-error',
  'too-many-requests',
  'timeout',
  'conflict',
  'forbidden',
];

// ---- AWS throttling ---------------------------------------------------------------------------------

const RATE_EXCEEDED = 'Rate exceeded';
const EC2_REQUEST_LIMIT = 'Request limit exceeded.';
const ALWAYS = Number.POSITIVE_INFINITY;

/** An SDK v3 service exception as the SDK throws it for throttling (what the collectors classify). */
function sdkThrottlingError(name: string): Error {
  return Object.assign(new Error(RATE_EXCEEDED), { name, $metadata: { httpStatusCode: 400 } });
}

/** Makes the error factory of a window that fails calls with the given error. */
type Windowed = (make: () => Error) => ErrorFactory;

/** Arms a throttling window on whatever serves the API; false when the world has no such service. */
type ThrottledApi = (world: FaultWorld, windowed: Windowed) => boolean;

function autoScalingApi(method: Parameters<SimCloud['failNext']>[0]): ThrottledApi {
  return (world, windowed) => {
    world.cloud.failNext(
      method,
      ALWAYS,
      windowed(() => new AutoScalingError('Throttled', RATE_EXCEEDED)),
    );
    return true;
  };
}

function ec2Api(...methods: Parameters<SimEc2['failNext']>[0][]): ThrottledApi {
  return (world, windowed) => {
    for (const method of methods) {
      world.ec2.failNext(
        method,
        ALWAYS,
        windowed(() => new Ec2Error('Throttled', EC2_REQUEST_LIMIT)),
      );
    }
    return true;
  };
}

function sqsApi(action: Parameters<SimSqs['failNext']>[0]): ThrottledApi {
  return (world, windowed) => {
    world.sqs.failNext(
      action,
      ALWAYS,
      windowed(() => sdkThrottlingError('ThrottlingException')),
    );
    return true;
  };
}

function serviceQuotasApi(method: Parameters<SimServiceQuotas['failNext']>[0]): ThrottledApi {
  return (world, windowed) => {
    world.quotas?.serviceQuotas.failNext(
      method,
      ALWAYS,
      windowed(() => new ServiceQuotasError('Throttled', RATE_EXCEEDED)),
    );
    return world.quotas !== undefined;
  };
}

/**
 * The AWS APIs a scenario can throttle, by their AWS names. CloudWatch's `GetMetricData` is throttled for
 * the metric collectors and the quota loop's usage metrics alike, as it is one API of the account. The
 * control plane's own AWS calls (its groups, launch templates, target groups) are not covered.
 */
export const AWS_THROTTLING_APIS: Readonly<Record<string, ThrottledApi>> = {
  DescribeAutoScalingGroups: autoScalingApi('describeGroups'),
  DescribeScalingActivities: autoScalingApi('describeScalingActivities'),
  SetDesiredCapacity: autoScalingApi('setDesiredCapacity'),
  TerminateInstanceInAutoScalingGroup: autoScalingApi('terminateInstance'),
  UpdateAutoScalingGroup: autoScalingApi('updateGroup'),
  DescribeInstanceTypes: ec2Api('describeInstanceTypes', 'listInstanceTypes'),
  DescribeInstanceTypeOfferings: ec2Api('describeInstanceTypeOfferings'),
  GetQueueUrl: sqsApi('GetQueueUrl'),
  GetQueueAttributes: sqsApi('GetQueueAttributes'),
  GetMetricData: (world, windowed) => {
    world.cloudwatch.failNext(
      ALWAYS,
      windowed(() => sdkThrottlingError('Throttling')),
    );
    world.quotas?.usage.failNext(
      ALWAYS,
      windowed(() => new UsageMetricsError('Throttled', RATE_EXCEEDED)),
    );
    return true;
  },
  ListServiceQuotas: serviceQuotasApi('listServiceQuotas'),
  GetServiceQuota: serviceQuotasApi('getServiceQuota'),
  ListRequestedServiceQuotaChangeHistoryByQuota: serviceQuotasApi('listRequestedChanges'),
  RequestServiceQuotaIncrease: serviceQuotasApi('requestIncrease'),
};

// ---- Kubernetes API errors --------------------------------------------------------------------------

/** Every method of the Kubernetes and VPA ports with the HTTP verb its request sends. */
export const KUBERNETES_API_METHODS = {
  listPods: 'GET',
  listNodes: 'GET',
  listAutoscalers: 'GET',
  getScales: 'GET',
  getScale: 'GET',
  updateScale: 'PUT',
  updateAutoscalerStatus: 'PUT',
  createEvent: 'POST',
  listPodMetrics: 'GET',
  listPersistentVolumeClaims: 'GET',
  listPersistentVolumes: 'GET',
  listDaemonSets: 'GET',
  listPodDisruptionBudgets: 'GET',
  setNodeTaint: 'PATCH',
  evictPod: 'POST',
  deleteNode: 'DELETE',
  listVerticalPodAutoscalers: 'GET',
  updateVpaStatus: 'PUT',
  listWorkloadTemplates: 'GET',
  getWorkloadTemplate: 'GET',
  patchWorkloadResources: 'PATCH',
  resizePodResources: 'PATCH',
} as const satisfies Record<keyof KubernetesPort | keyof VpaPort, string>;

type KubernetesMethod = keyof typeof KUBERNETES_API_METHODS;
const VPA_METHODS: ReadonlySet<string> = new Set<keyof VpaPort>([
  'listVerticalPodAutoscalers',
  'updateVpaStatus',
  'listWorkloadTemplates',
  'getWorkloadTemplate',
  'patchWorkloadResources',
  'resizePodResources',
]);

export const HTTP_VERBS = ['GET', 'PUT', 'PATCH', 'POST', 'DELETE'] as const;

/** The port methods a fault's `methods` stand for (verbs expanded), undefined for an unknown name. */
export function kubernetesMethodsOf(names: readonly string[]): KubernetesMethod[] | undefined {
  const out = new Set<KubernetesMethod>();
  for (const name of names) {
    if ((HTTP_VERBS as readonly string[]).includes(name)) {
      for (const [method, verb] of Object.entries(KUBERNETES_API_METHODS)) {
        if (verb === name) out.add(method as KubernetesMethod);
      }
    } else if (Object.hasOwn(KUBERNETES_API_METHODS, name)) {
      out.add(name as KubernetesMethod);
    } else {
      return undefined;
    }
  }
  return [...out];
}

/** The error a Kubernetes API call fails with, as the real adapter would report it. */
function kubernetesError(kind: KubernetesApiError, method: string): Error {
  switch (kind) {
    case 'conflict':
      return new ConflictError(`simulated 409 Conflict on ${method}`);
    case 'forbidden':
      return new ForbiddenError(`simulated 403 Forbidden on ${method}`);
    case 'timeout':
      return Object.assign(new Error(`simulated timeout of ${method}`), { name: 'TimeoutError' });
    case 'too-many-requests':
      return new Error(`HTTP 429: simulated Too Many Requests on ${method}`);
    case 'server-error':
      return new Error(`HTTP 500: simulated Internal Server Error on ${method}`);
  }
}

/**
 * Arms the fault's window on the ports serving its APIs or methods, counting refused calls into
 * `record`. Returns the AWS APIs the world does not simulate (no quotas: no Service Quotas).
 */
export function armWindow(
  world: FaultWorld,
  fault: AwsThrottlingFault | ApiErrorsFault,
  record: FaultWindowRecord,
): string[] {
  const effects = world.faultEffects;
  if (fault.kind === 'aws-throttling') {
    const missing: string[] = [];
    for (const name of fault.apis) {
      const arm = AWS_THROTTLING_APIS[name];
      if (!arm) continue;
      // Counted under the AWS API's name, whichever port method carries it.
      if (!arm(world, (make) => effects.window(record, world.clock, make, name))) missing.push(name);
    }
    return missing;
  }
  const error = fault.error ?? 'server-error';
  for (const method of kubernetesMethodsOf(fault.methods) ?? []) {
    const factory = effects.window(record, world.clock, (m) => kubernetesError(error, m));
    if (VPA_METHODS.has(method)) world.vpas.failNext(method as keyof VpaPort, ALWAYS, factory);
    else world.cluster.failNext(method as keyof KubernetesPort, ALWAYS, factory);
  }
  return [];
}
