/**
 * Fixtures of the node-pool end-to-end suite: on the Kubernetes side what kube-scheduler, kubelet and
 * the DaemonSet controller would write (no scheduler, kubelet or controller runs), on the AWS side the
 * SDK shapes Auto Scaling and EC2 answer with (served through aws-sdk-client-mock by the suite), and a
 * transport that answers Auto Scaling's query protocol with Throttling so the SDK's own retries run.
 */
import { Readable } from 'node:stream';
import type { Activity, AutoScalingGroup as SdkAutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { InstanceTypeInfo as SdkInstanceTypeInfo } from '@aws-sdk/client-ec2';
import { KubernetesAdapter } from '../../../shared/adapters/kubernetes/adapter';
import { createKubeClient } from '../../../shared/adapters/kubernetes/client';
import type { KubeHttp, TestCluster } from '../harness';
import { MERGE_PATCH } from './hpa-cluster';

export const REGION = 'eu-central-1';
export const ACCOUNT = '123456789012';

/** RFC 3339 with whole seconds, as Kubernetes writes metav1.Time. */
export const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------------------------------
// Kubernetes

/** The Kubernetes adapter as the Lambda builds it: user `tideplane`, bound to the shipped ClusterRole only. */
export function kubernetesAsTideplane(cluster: TestCluster, reportingInstance: string): KubernetesAdapter {
  return new KubernetesAdapter(
    createKubeClient({ server: cluster.server, token: cluster.tideplaneToken, caData: cluster.caData }),
    { reportingInstance },
  );
}

export interface PodOptions {
  cpu: string;
  memory: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  /** Claim mounted at /data. */
  claim?: string;
}

/**
 * A pod kube-scheduler gave up on: created unbound, then PodScheduled=False/Unschedulable written through
 * pods/status, as the scheduler's failure handler does.
 */
export async function createUnschedulablePod(
  admin: KubeHttp,
  namespace: string,
  name: string,
  options: PodOptions,
  at: { time: number; message: string },
): Promise<void> {
  const container: Record<string, unknown> = {
    name: 'app',
    image: `registry.example/${name.replace(/-\d+$/, '')}:1`,
    resources: { requests: { cpu: options.cpu, memory: options.memory } },
  };
  if (options.claim) container.volumeMounts = [{ name: 'data', mountPath: '/data' }];
  await admin.post(`/api/v1/namespaces/${namespace}/pods`, {
    metadata: { name, labels: { app: name.replace(/-\d+$/, '') } },
    spec: {
      containers: [container],
      ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
      ...(options.tolerations ? { tolerations: options.tolerations } : {}),
      ...(options.claim
        ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: options.claim } }] }
        : {}),
    },
  });
  await admin.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
    body: {
      status: {
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: at.message,
            lastTransitionTime: rfc3339(at.time),
          },
        ],
      },
    },
    contentType: MERGE_PATCH,
  });
}

/**
 * A PersistentVolume as a current EBS CSI driver provisions it (node affinity on the well-known zone key),
 * and its claim, bound both ways as the PV controller records it.
 */
export async function createZonalVolume(
  cluster: TestCluster,
  namespace: string,
  claim: string,
  volume: { name: string; volumeId: string; zone: string },
): Promise<void> {
  const admin = cluster.client();
  await cluster.apply([
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: volume.name, annotations: { 'pv.kubernetes.io/provisioned-by': 'ebs.csi.aws.com' } },
      spec: {
        capacity: { storage: '20Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'gp3',
        volumeMode: 'Filesystem',
        csi: { driver: 'ebs.csi.aws.com', volumeHandle: volume.volumeId, fsType: 'ext4' },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: claim },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'topology.kubernetes.io/zone', operator: 'In', values: [volume.zone] },
                ],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claim, namespace },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '20Gi' } },
        storageClassName: 'gp3',
        volumeName: volume.name,
      },
    },
  ]);
  await admin.call('PATCH', `/api/v1/persistentvolumes/${volume.name}/status`, {
    body: { status: { phase: 'Bound' } },
    contentType: MERGE_PATCH,
  });
  await admin.call('PATCH', `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claim}/status`, {
    body: {
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '20Gi' } },
    },
    contentType: MERGE_PATCH,
  });
}

export interface JoinedInstance {
  instanceId: string;
  zone: string;
  instanceType: string;
  /** Private IPv4 address: the node is named `ip-<a-b-c-d>.<region>.compute.internal`. */
  privateIp: string;
  /** Labels the pool's launch template gives kubelet (`--node-labels`). */
  labels?: Record<string, string>;
  /** Taints the pool's launch template registers the node with. */
  taints?: { key: string; value?: string; effect: string }[];
}

/**
 * The Node object of a joined m5(a).xlarge: what kubelet on an EKS AMI registers and reports, Ready and
 * without the not-ready taint, as it is a few seconds after it joined.
 */
export async function createReadyNode(
  admin: KubeHttp,
  instance: JoinedInstance,
  at: number,
): Promise<string> {
  const name = `ip-${instance.privateIp.replaceAll('.', '-')}.${REGION}.compute.internal`;
  await admin.post('/api/v1/nodes', {
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': instance.instanceType,
        'topology.kubernetes.io/region': REGION,
        'topology.kubernetes.io/zone': instance.zone,
        ...instance.labels,
      },
    },
    spec: {
      providerID: `aws:///${instance.zone}/${instance.instanceId}`,
      ...(instance.taints ? { taints: instance.taints } : {}),
    },
  });
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    lastHeartbeatTime: rfc3339(at),
    lastTransitionTime: rfc3339(at),
  });
  await admin.call('PATCH', `/api/v1/nodes/${name}/status`, {
    body: {
      status: {
        capacity: { cpu: '4', memory: '15896552Ki', pods: '110', 'ephemeral-storage': '83873772Ki' },
        allocatable: { cpu: '3920m', memory: '14880744Ki', pods: '110', 'ephemeral-storage': '76224326324' },
        conditions: [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
          condition('Ready', 'True', 'KubeletReady'),
        ],
        addresses: [
          { type: 'InternalIP', address: instance.privateIp },
          { type: 'Hostname', address: name },
        ],
      },
    },
    contentType: MERGE_PATCH,
  });
  // The TaintNodesByCondition admission plugin registered the node with node.kubernetes.io/not-ready:
  // NoSchedule; the node lifecycle controller (kube-controller-manager) lifts it once the node is Ready.
  await admin.call('PATCH', `/api/v1/nodes/${name}`, {
    body: { spec: { taints: instance.taints ?? null } },
    contentType: MERGE_PATCH,
  });
  return name;
}

/** Marks a bound pod Running and Ready, as its kubelet reports it. */
async function reportRunning(admin: KubeHttp, namespace: string, pod: string, at: number): Promise<void> {
  await admin.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod}/status`, {
    body: {
      status: {
        phase: 'Running',
        startTime: rfc3339(at),
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(at) },
          { type: 'Ready', status: 'True', lastTransitionTime: rfc3339(at) },
        ],
      },
    },
    contentType: MERGE_PATCH,
  });
}

/** Binds a pending pod to a node (pods/binding, what kube-scheduler posts) and marks it Running. */
export async function bindPod(
  admin: KubeHttp,
  namespace: string,
  pod: string,
  node: string,
  at: number,
): Promise<void> {
  await admin.post(`/api/v1/namespaces/${namespace}/pods/${pod}/binding`, {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: pod, namespace },
    target: { apiVersion: 'v1', kind: 'Node', name: node },
  });
  await reportRunning(admin, namespace, pod, at);
}

/** The DaemonSet's pod on a node, as the DaemonSet controller creates it (bound at creation), Running. */
export async function createDaemonPod(
  admin: KubeHttp,
  daemonSet: { namespace: string; name: string; uid: string; cpu: string; memory: string },
  node: string,
  at: number,
): Promise<void> {
  const pod = `${daemonSet.name}-${node.split('.')[0]}`;
  await admin.post(`/api/v1/namespaces/${daemonSet.namespace}/pods`, {
    metadata: {
      name: pod,
      labels: { app: daemonSet.name },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: daemonSet.name,
          uid: daemonSet.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: node,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'agent',
          image: `registry.example/${daemonSet.name}:1`,
          resources: { requests: { cpu: daemonSet.cpu, memory: daemonSet.memory } },
        },
      ],
    },
  });
  await reportRunning(admin, daemonSet.namespace, pod, at);
}

// ---------------------------------------------------------------------------------------------------
// AWS: what DescribeInstanceTypes, DescribeAutoScalingGroups and DescribeScalingActivities answer

function generalPurpose(
  instanceType: string,
  processor: { manufacturer: string; ghz: number },
  storage?: number,
): SdkInstanceTypeInfo {
  return {
    InstanceType: instanceType as SdkInstanceTypeInfo['InstanceType'],
    CurrentGeneration: true,
    FreeTierEligible: false,
    SupportedUsageClasses: ['on-demand', 'spot'],
    SupportedRootDeviceTypes: ['ebs'],
    SupportedVirtualizationTypes: ['hvm'],
    BareMetal: false,
    Hypervisor: 'nitro',
    ProcessorInfo: {
      SupportedArchitectures: ['x86_64'],
      SustainedClockSpeedInGhz: processor.ghz,
      Manufacturer: processor.manufacturer,
    },
    VCpuInfo: {
      DefaultVCpus: 4,
      DefaultCores: 2,
      DefaultThreadsPerCore: 2,
      ValidCores: [2],
      ValidThreadsPerCore: [1, 2],
    },
    MemoryInfo: { SizeInMiB: 16384 },
    InstanceStorageSupported: storage !== undefined,
    ...(storage !== undefined
      ? {
          InstanceStorageInfo: {
            TotalSizeInGB: storage,
            Disks: [{ SizeInGB: storage, Count: 1, Type: 'ssd' }],
            NvmeSupport: 'required',
            EncryptionSupport: 'required',
          },
        }
      : {}),
    EbsInfo: { EbsOptimizedSupport: 'default', EncryptionSupport: 'supported', NvmeSupport: 'required' },
    NetworkInfo: {
      NetworkPerformance: 'Up to 10 Gigabit',
      MaximumNetworkInterfaces: 4,
      MaximumNetworkCards: 1,
      DefaultNetworkCardIndex: 0,
      Ipv4AddressesPerInterface: 15,
      Ipv6AddressesPerInterface: 15,
      Ipv6Supported: true,
      EnaSupport: 'required',
      EfaSupported: false,
      EncryptionInTransitSupported: false,
    },
    PlacementGroupInfo: { SupportedStrategies: ['cluster', 'partition', 'spread'] },
    HibernationSupported: true,
    BurstablePerformanceSupported: false,
    DedicatedHostsSupported: true,
    AutoRecoverySupported: storage === undefined,
    SupportedBootModes: ['legacy-bios', 'uefi'],
  };
}

/** DescribeInstanceTypes' figures for the suite's types (eu-central-1). */
export const INSTANCE_TYPES: Readonly<Record<string, SdkInstanceTypeInfo>> = {
  'm5.xlarge': generalPurpose('m5.xlarge', { manufacturer: 'Intel', ghz: 3.1 }),
  'm5a.xlarge': generalPurpose('m5a.xlarge', { manufacturer: 'AMD', ghz: 2.5 }),
  'm5ad.xlarge': generalPurpose('m5ad.xlarge', { manufacturer: 'AMD', ghz: 2.2 }, 150),
};

export type LaunchFrom =
  | { template: { id: string; name: string; version: string } }
  | {
      mixed: {
        template: { id: string; name: string; version: string };
        overrides: string[];
        onDemandPercentageAboveBase: number;
      };
    };

/** A zonal group as DescribeAutoScalingGroups answers it. */
export function zonalGroup(
  name: string,
  options: { zone: string; max: number; tags: Record<string, string>; launch: LaunchFrom },
): SdkAutoScalingGroup {
  const launch = options.launch;
  const spec = (t: { id: string; name: string; version: string }) => ({
    LaunchTemplateId: t.id,
    LaunchTemplateName: t.name,
    Version: t.version,
  });
  return {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:6f1a2b3c-4d5e-4f60-8a71-92b3c4d5e6f7:autoScalingGroupName/${name}`,
    ...('template' in launch
      ? { LaunchTemplate: spec(launch.template) }
      : {
          MixedInstancesPolicy: {
            LaunchTemplate: {
              LaunchTemplateSpecification: spec(launch.mixed.template),
              Overrides: launch.mixed.overrides.map((type) => ({ InstanceType: type })),
            },
            InstancesDistribution: {
              OnDemandAllocationStrategy: 'prioritized',
              OnDemandBaseCapacity: 0,
              OnDemandPercentageAboveBaseCapacity: launch.mixed.onDemandPercentageAboveBase,
              SpotAllocationStrategy: 'price-capacity-optimized',
            },
          },
        }),
    MinSize: 0,
    MaxSize: options.max,
    DesiredCapacity: 0,
    DefaultCooldown: 300,
    AvailabilityZones: [options.zone],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    Instances: [],
    CreatedTime: new Date('2025-11-03T09:12:44.512Z'),
    VPCZoneIdentifier: `subnet-0${options.zone.slice(-1)}1b2c3d4e5f60718`,
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: false,
    Tags: Object.entries(options.tags).map(([Key, Value]) => ({
      ResourceId: name,
      ResourceType: 'auto-scaling-group',
      Key,
      Value,
      PropagateAtLaunch: !Key.startsWith('k8s.io/cluster-autoscaler/'),
    })),
  };
}

/** An instance of a group, as DescribeAutoScalingGroups lists it. */
export function groupInstance(
  instanceId: string,
  zone: string,
  instanceType: string,
  lifecycleState: 'Pending' | 'InService',
): NonNullable<SdkAutoScalingGroup['Instances']>[number] {
  return {
    InstanceId: instanceId,
    InstanceType: instanceType,
    AvailabilityZone: zone,
    LifecycleState: lifecycleState,
    HealthStatus: 'Healthy',
    ProtectedFromScaleIn: false,
  };
}

function cause(from: number, to: number, asked: number, started: number): string {
  const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return (
    `At ${at(asked)} a user request explicitly set group desired capacity changing the desired capacity ` +
    `from ${from} to ${to}.  At ${at(started)} an instance was started in response to a difference ` +
    `between desired and actual capacity, increasing the capacity from ${from} to ${to}.`
  );
}

/** The activity of a launch that worked (`Successful`) or is still going (`InProgress`). */
export function launchActivity(options: {
  group: string;
  instanceId: string;
  zone: string;
  from: number;
  to: number;
  askedAt: number;
  startTime: number;
  statusCode: 'Successful' | 'InProgress';
}): Activity {
  const { group, instanceId, zone, startTime } = options;
  return {
    ActivityId: `${instanceId.slice(2, 10)}-5e6f-7a8b-9c0d-${instanceId.slice(-12)}`,
    AutoScalingGroupName: group,
    AutoScalingGroupARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:6f1a2b3c-4d5e-4f60-8a71-92b3c4d5e6f7:autoScalingGroupName/${group}`,
    Description: `Launching a new EC2 instance: ${instanceId}`,
    Cause: cause(options.from, options.to, options.askedAt, startTime),
    StartTime: new Date(startTime),
    ...(options.statusCode === 'Successful' ? { EndTime: new Date(startTime + 31_000) } : {}),
    StatusCode: options.statusCode,
    Progress: options.statusCode === 'Successful' ? 100 : 30,
    Details: JSON.stringify({
      'Subnet ID': `subnet-0${zone.slice(-1)}1b2c3d4e5f60718`,
      'Availability Zone': zone,
    }),
  };
}

/** The text Auto Scaling reports when EC2 has no on-demand capacity of the type in the zone. */
export function insufficientCapacityMessage(
  instanceType: string,
  zone: string,
  otherZones: string[],
): string {
  return (
    `Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have ` +
    `sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will ` +
    `be working on provisioning additional capacity. You can currently get ${instanceType} capacity by not ` +
    `specifying an Availability Zone in your request or choosing ${otherZones.join(', ')}. Launching EC2 ` +
    'instance failed.'
  );
}

/** A launch that failed with the given status message. */
export function failedLaunchActivity(options: {
  group: string;
  zone: string;
  from: number;
  to: number;
  askedAt: number;
  startTime: number;
  endTime: number;
  statusMessage: string;
}): Activity {
  const { group, zone, startTime } = options;
  return {
    ActivityId: '0c5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f70',
    AutoScalingGroupName: group,
    AutoScalingGroupARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:6f1a2b3c-4d5e-4f60-8a71-92b3c4d5e6f7:autoScalingGroupName/${group}`,
    Description: `Launching a new EC2 instance.  Status Reason: ${options.statusMessage}`,
    Cause: cause(options.from, options.to, options.askedAt, startTime),
    StartTime: new Date(startTime),
    EndTime: new Date(options.endTime),
    StatusCode: 'Failed',
    StatusMessage: options.statusMessage,
    Progress: 100,
    Details: JSON.stringify({
      'Subnet ID': `subnet-0${zone.slice(-1)}1b2c3d4e5f60718`,
      'Availability Zone': zone,
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// AWS: a transport that throttles

export interface WireRequest {
  /** `amz-sdk-request`, e.g. `attempt=2; max=3`: which try of the SDK's retry loop this was. */
  attempt: string;
  /** The form-encoded query-protocol body. */
  body: string;
}

/**
 * An HTTP handler for an AutoScalingClient that answers every request with Auto Scaling's Throttling
 * error (HTTP 400, `<Code>Throttling</Code>`), recording each try. aws-sdk-client-mock replaces
 * `send`, which skips the SDK's middleware and with it the retries; a request sent through the
 * client's own middleware stack to this handler gets serialized, signed, retried and deserialized as
 * in production.
 */
export class ThrottlingTransport {
  readonly requests: WireRequest[] = [];

  readonly handler = {
    handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
      this.requests.push({
        attempt: request.headers['amz-sdk-request'] ?? '',
        body: typeof request.body === 'string' ? request.body : String(request.body),
      });
      const body =
        '<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type>' +
        '<Code>Throttling</Code><Message>Rate exceeded</Message></Error>' +
        `<RequestId>7d3e2f1a-${String(this.requests.length).padStart(4, '0')}-4b5c-8d9e-0f1a2b3c4d5e</RequestId></ErrorResponse>`;
      return {
        response: {
          statusCode: 400,
          reason: 'Bad Request',
          headers: { 'content-type': 'text/xml', 'x-amzn-requestid': `7d3e2f1a-${this.requests.length}` },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
  };
}
