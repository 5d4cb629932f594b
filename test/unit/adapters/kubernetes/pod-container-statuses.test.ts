/**
 * `toPod`'s container statuses, from pods as `kubectl get pod -o json` prints them, decoded the way the
 * typed client decodes a list (times become Dates). A real OOM kill needs a kubelet, which the cluster
 * tests do not run, so this is where the VPA loop's OOM input is checked.
 */
import { loadYaml, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toPod } from '../../../../shared/adapters/kubernetes/convert';

/** A Prometheus StatefulSet pod on EKS whose main container was OOM-killed three times. */
const oomKilledPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'prometheus-k8s-0',
    namespace: 'monitoring',
    uid: '6f1c2a8e-1f0b-4c7e-9a51-0b6f3e2d9c11',
    creationTimestamp: '2025-06-01T08:00:00Z',
    labels: {
      'app.kubernetes.io/name': 'prometheus',
      'statefulset.kubernetes.io/pod-name': 'prometheus-k8s-0',
    },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'prometheus-k8s',
        uid: '0a9d7e52-3c1b-4f6a-8e2d-5b7c9a1e3f20',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    nodeName: 'ip-10-0-12-34.eu-central-1.compute.internal',
    containers: [
      {
        name: 'prometheus',
        image: 'quay.io/prometheus/prometheus:v3.4.0',
        resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } },
      },
      {
        name: 'config-reloader',
        image: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0',
        resources: { requests: { cpu: '10m', memory: '50Mi' }, limits: { memory: '50Mi' } },
      },
      {
        name: 'thanos-sidecar',
        image: 'quay.io/thanos/thanos:v0.38.0',
        resources: { requests: { cpu: '50m', memory: '128Mi' } },
      },
    ],
  },
  status: {
    phase: 'Running',
    hostIP: '10.0.12.34',
    podIP: '10.0.13.7',
    startTime: '2025-06-01T08:00:02Z',
    containerStatuses: [
      {
        name: 'config-reloader',
        ready: true,
        restartCount: 0,
        started: true,
        image: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0',
        imageID: 'quay.io/prometheus-operator/prometheus-config-reloader@sha256:1f2e',
        containerID: 'containerd://8c0d',
        state: { running: { startedAt: '2025-06-01T08:00:04Z' } },
        lastState: {},
      },
      {
        name: 'prometheus',
        ready: false,
        restartCount: 3,
        started: false,
        image: 'quay.io/prometheus/prometheus:v3.4.0',
        imageID: 'quay.io/prometheus/prometheus@sha256:9a7b',
        containerID: 'containerd://51fe',
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message:
              'back-off 40s restarting failed container=prometheus pod=prometheus-k8s-0_monitoring(6f1c2a8e)',
          },
        },
        lastState: {
          terminated: {
            exitCode: 137,
            reason: 'OOMKilled',
            startedAt: '2025-06-01T09:12:01Z',
            finishedAt: '2025-06-01T09:14:27Z',
            containerID: 'containerd://51fe',
          },
        },
      },
      {
        name: 'thanos-sidecar',
        ready: true,
        restartCount: 1,
        started: true,
        image: 'quay.io/thanos/thanos:v0.38.0',
        imageID: 'quay.io/thanos/thanos@sha256:77c1',
        containerID: 'containerd://a3b4',
        state: { running: { startedAt: '2025-06-01T08:31:10Z' } },
        lastState: {
          terminated: {
            exitCode: 1,
            reason: 'Error',
            startedAt: '2025-06-01T08:00:05Z',
            finishedAt: '2025-06-01T08:31:09Z',
            containerID: 'containerd://a3b3',
          },
        },
      },
    ],
  },
};

/** Decodes like the typed client's list calls (`ObjectSerializer`), JSON being YAML. */
const decode = (json: unknown): V1Pod => loadYaml<V1Pod>(JSON.stringify(json));

describe('toPod container statuses', () => {
  it('should list the containers that restarted with how and when they last ended, OOM kills included', () => {
    expect(toPod(decode(oomKilledPod)).containerStatuses).toEqual([
      {
        name: 'prometheus',
        restartCount: 3,
        lastTerminationReason: 'OOMKilled',
        lastTerminationAt: Date.parse('2025-06-01T09:14:27Z'),
        lastTerminationStartedAt: Date.parse('2025-06-01T09:12:01Z'),
      },
      {
        name: 'thanos-sidecar',
        restartCount: 1,
        lastTerminationReason: 'Error',
        lastTerminationAt: Date.parse('2025-06-01T08:31:09Z'),
        lastTerminationStartedAt: Date.parse('2025-06-01T08:00:05Z'),
      },
    ]);
  });

  it('should keep a restarted container whose last state the kubelet no longer reports, without a reason', () => {
    const pod = structuredClone(oomKilledPod);
    const prometheus = pod.status.containerStatuses[1];
    if (prometheus) prometheus.lastState = {} as typeof prometheus.lastState;
    expect(toPod(decode(pod)).containerStatuses?.[0]).toEqual({ name: 'prometheus', restartCount: 3 });
  });

  it('should leave containerStatuses out when no container restarted, or the pod has no status yet', () => {
    const healthy = structuredClone(oomKilledPod);
    for (const status of healthy.status.containerStatuses) {
      status.restartCount = 0;
      status.lastState = {} as typeof status.lastState;
    }
    expect(toPod(decode(healthy))).not.toHaveProperty('containerStatuses');

    const { status: _status, ...pending } = structuredClone(oomKilledPod);
    expect(toPod(decode(pending))).not.toHaveProperty('containerStatuses');
  });

  it('should not read init containers’ statuses: the VPA resizes spec.containers only', () => {
    const pod = structuredClone(oomKilledPod) as typeof oomKilledPod & {
      status: { initContainerStatuses?: unknown[] };
    };
    pod.status.containerStatuses = [];
    pod.status.initContainerStatuses = [
      {
        name: 'init-config',
        ready: true,
        restartCount: 2,
        image: 'busybox:1.36',
        imageID: 'docker.io/library/busybox@sha256:0b1c',
        state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2025-06-01T08:00:03Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2025-06-01T08:00:02Z' } },
      },
    ];
    expect(toPod(decode(pod))).not.toHaveProperty('containerStatuses');
  });

  it('should keep the reason and message of a pod the kubelet evicted for memory pressure', () => {
    const message =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 61284Ki. ' +
      'Container prometheus was using 2563196Ki, request is 2Gi, has larger consumption of memory. ';
    const evicted = structuredClone(oomKilledPod) as typeof oomKilledPod & {
      status: { phase?: string; reason?: string; message?: string };
    };
    evicted.status = {
      ...evicted.status,
      phase: 'Failed',
      reason: 'Evicted',
      message,
      containerStatuses: [],
    };
    expect(toPod(decode(evicted))).toMatchObject({
      phase: 'Failed',
      statusReason: 'Evicted',
      statusMessage: message,
    });
    expect(toPod(decode(oomKilledPod))).not.toHaveProperty('statusReason');
  });
});
