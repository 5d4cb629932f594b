/**
 * Fixtures of the node-pool scale-down suite: workloads as the Deployment and ReplicaSet controllers
 * leave them (no controller runs), PodDisruptionBudget status as the disruption controller writes it,
 * and port wrappers that let a test act between two calls of a tick or end the tick as a Lambda dying.
 */
import type { KubeHttp, TestCluster } from '../harness';
import { MERGE_PATCH } from './hpa-cluster';
import { rfc3339 } from './node-pool-cluster';

export interface ReplicaSetRef {
  name: string;
  uid: string;
}

/**
 * A Deployment and its current ReplicaSet, as the Deployment controller leaves them. The pods are made
 * separately (`createOwnedPod`): without a ReplicaSet controller nothing else creates or replaces them.
 */
export async function createDeployment(
  cluster: TestCluster,
  namespace: string,
  name: string,
  replicas: number,
): Promise<ReplicaSetRef> {
  const labels = { app: name };
  const template = {
    metadata: { labels },
    spec: { containers: [{ name: 'app', image: `registry.example/${name}:1` }] },
  };
  const [deployment] = await cluster.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas, selector: { matchLabels: labels }, template },
  });
  const deploymentUid = String((deployment?.metadata as { uid?: string } | undefined)?.uid);
  const hash = '7c9d5b8f4';
  const [replicaSet] = await cluster.apply({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${name}-${hash}`,
      namespace,
      labels: { ...labels, 'pod-template-hash': hash },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name,
          uid: deploymentUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...labels, 'pod-template-hash': hash } },
      template: { ...template, metadata: { labels: { ...labels, 'pod-template-hash': hash } } },
    },
  });
  return {
    name: `${name}-${hash}`,
    uid: String((replicaSet?.metadata as { uid?: string } | undefined)?.uid),
  };
}

/**
 * A pod of the ReplicaSet, bound to the node at creation (as if scheduled long ago) and Running, as
 * its kubelet reports it.
 */
export async function createOwnedPod(
  admin: KubeHttp,
  namespace: string,
  owner: ReplicaSetRef,
  pod: { name: string; node: string; cpu: string; memory: string; graceSeconds: number },
  at: number,
): Promise<void> {
  const app = owner.name.replace(/-[0-9a-z]+$/, '');
  await admin.post(`/api/v1/namespaces/${namespace}/pods`, {
    metadata: {
      name: pod.name,
      labels: { app, 'pod-template-hash': owner.name.slice(app.length + 1) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: pod.node,
      terminationGracePeriodSeconds: pod.graceSeconds,
      containers: [
        {
          name: 'app',
          image: `registry.example/${app}:1`,
          resources: { requests: { cpu: pod.cpu, memory: pod.memory } },
        },
      ],
    },
  });
  await admin.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod.name}/status`, {
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

export interface ServedPod {
  metadata: { name: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
  status: { conditions?: { type: string; status: string; reason?: string }[] };
}

/** The pod as the API server serves it, or undefined once it is gone. */
export async function readPod(
  admin: KubeHttp,
  namespace: string,
  name: string,
): Promise<ServedPod | undefined> {
  const res = await admin.request<ServedPod>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
  return res.status === 404 ? undefined : res.body;
}

export interface ServedNode {
  metadata: { uid: string };
  spec: { taints?: { key: string; value?: string; effect: string }[] };
}

export async function readNode(admin: KubeHttp, name: string): Promise<ServedNode | undefined> {
  const res = await admin.request<ServedNode>('GET', `/api/v1/nodes/${name}`);
  return res.status === 404 ? undefined : res.body;
}

/**
 * What the disruption controller (not running here) writes. The API server admits evictions only
 * against a status whose observedGeneration has caught up with the budget's generation (1: never edited).
 */
export async function writeBudgetStatus(
  admin: KubeHttp,
  namespace: string,
  name: string,
  status: {
    expectedPods: number;
    currentHealthy: number;
    desiredHealthy: number;
    disruptionsAllowed: number;
  },
): Promise<void> {
  await admin.call('PATCH', `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${name}/status`, {
    body: { status: { observedGeneration: 1, ...status } },
    contentType: MERGE_PATCH,
  });
}

/**
 * What a kubelet and the pod garbage collector would finish: the pod object removed at once. Only the
 * suite's cleanup uses it; the loop itself may never delete a pod.
 */
export async function forceDeletePod(admin: KubeHttp, namespace: string, name: string): Promise<void> {
  const res = await admin.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
    body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 },
  });
  if (res.status !== 200 && res.status !== 404) throw new Error(`force delete ${name}: ${res.status}`);
}

// ---------------------------------------------------------------------------------------------------
// Port wrappers

/** Thrown by every port call of a tick after its Lambda "died". */
export class LambdaDiedError extends Error {
  constructor(after: string) {
    super(`the Lambda died right after ${after}`);
    this.name = 'LambdaDiedError';
  }
}

/**
 * One invocation's fate, shared by the ports of a tick: once `die` has run, every further call on any
 * wrapped port throws, as nothing runs after a Lambda is killed (timeout, out of memory).
 */
export class Invocation {
  diedAfter?: string;

  die(after: string): never {
    this.diedAfter = after;
    throw new LambdaDiedError(after);
  }
}

/**
 * Wraps a port: calls pass through (bound to the real adapter, so its private state works) until the
 * invocation has died; `after` hooks run once the named call resolved, before the caller sees the
 * result, and may act on the world or kill the invocation.
 */
export function wrapPort<T extends object>(
  port: T,
  invocation: Invocation,
  after: Partial<Record<keyof T & string, (args: unknown[], result: unknown) => Promise<void>>> = {},
): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (invocation.diedAfter) throw new LambdaDiedError(invocation.diedAfter);
        const result = await Reflect.apply(value, target, args);
        const hook = typeof property === 'string' ? after[property as keyof T & string] : undefined;
        if (hook) await hook(args, result);
        return result;
      };
    },
  });
}
