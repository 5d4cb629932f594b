/**
 * How busy a control plane is, from the size of the cluster it serves. Pure.
 *
 * EC2 (self-managed): every API server keeps a watch cache of every object and fans its events out to
 * its watchers, so part of its CPU grows with the cluster's objects (nodes and pods) whatever the number
 * of API servers — that part is why more small API servers do not help and one bigger one does, as
 * Zalando found at ~1,000 nodes. The rest is the requests themselves (kubelets' status and lease
 * updates, controllers' lists and watches, users), spread over the API servers that are healthy behind
 * the load balancer. CPU utilization is that load over the instance's vCPUs.
 *
 * EKS (Provisioned Control Plane): what the tier limits is API request concurrency, in seats (API
 * Priority and Fairness): seats in use are the request rate times the seat-seconds a request holds
 * (LISTs of many objects hold several seats for longer), over the tier's seat capacity.
 *
 * Latency follows utilization like a queue does: flat while there is headroom, steep past ~70 % (1 s at
 * ~85 %), and at saturation requests wait until the API server's request timeout.
 */

/** What the load depends on. */
export interface ClusterSize {
  nodes: number;
  pods: number;
  /** Requests per second beyond what nodes and pods cause (users, CI, operators). @default 0 */
  extraRequestsPerSecond?: number;
}

/** The figures of the model; see `DEFAULT_LOAD_COEFFICIENTS` for where they come from. */
export interface LoadCoefficients {
  /** Requests per second a node causes (kubelet node status, lease renewals, pod status). */
  requestsPerNode: number;
  /** Requests per second a pod causes (controllers' updates, endpoints, probes reported). */
  requestsPerPod: number;
  /** CPU cores one request per second costs an API server. */
  coresPerRequestPerSecond: number;
  /** CPU cores every API server spends per 1,000 cached objects (watch cache, event fan-out). */
  coresPerThousandObjects: number;
  /** CPU cores an idle API server (and the other control-plane processes) use. */
  idleCores: number;
  /** Seat-seconds one request holds on average (EKS: APF seats × duration). */
  seatSecondsPerRequest: number;
  /** Seats held by watches and long lists per 1,000 pods (EKS). */
  seatsPerThousandPods: number;
  /** Latency of a request on an idle API server, seconds. */
  baseLatencySeconds: number;
}

/**
 * Calibrated so that three m6i.xlarge (4 vCPUs) API servers run at ~35 % CPU for 250 nodes of 30 pods
 * and cross 70 % near 600 nodes, and three m6i.2xlarge run at ~58 % for 1,000 nodes: the scale at which
 * Zalando saw API latency turn into seconds. ~5.6 ms of CPU a request and ~0.09 cores per 1,000 cached
 * objects are in the range kube-apiserver profiles show. EKS: ~1,300 seats for 1,000 nodes and 30,000
 * pods.
 */
export const DEFAULT_LOAD_COEFFICIENTS: Readonly<LoadCoefficients> = Object.freeze({
  requestsPerNode: 0.5,
  requestsPerPod: 0.01,
  coresPerRequestPerSecond: 0.0056,
  coresPerThousandObjects: 0.09,
  idleCores: 0.3,
  seatSecondsPerRequest: 0.5,
  seatsPerThousandPods: 30,
  baseLatencySeconds: 0.03,
});

/** kube-apiserver's default `--request-timeout`: what a request waits at most on a saturated server. */
export const REQUEST_TIMEOUT_SECONDS = 60;

/** Utilization is capped here for latency: a server at 100 % queues until the timeout. */
const SATURATED = 0.999;

/** API requests per second the cluster sends. */
export function requestRate(size: ClusterSize, c: LoadCoefficients = DEFAULT_LOAD_COEFFICIENTS): number {
  return (
    size.nodes * c.requestsPerNode +
    size.pods * c.requestsPerPod +
    Math.max(0, size.extraRequestsPerSecond ?? 0)
  );
}

/** Cores every API server spends whether or not it takes requests (idle, watch cache, fan-out). */
export function perServerCores(size: ClusterSize, c: LoadCoefficients = DEFAULT_LOAD_COEFFICIENTS): number {
  return c.idleCores + (c.coresPerThousandObjects * (size.nodes + size.pods)) / 1000;
}

/** Cores the requests cost in all, to be shared by the serving API servers. */
export function requestCores(size: ClusterSize, c: LoadCoefficients = DEFAULT_LOAD_COEFFICIENTS): number {
  return requestRate(size, c) * c.coresPerRequestPerSecond;
}

/**
 * Utilization (0..1, may exceed 1 when the demand is more than the server has) of each API server:
 * `serving` take an equal share of the requests (the load balancer spreads them), `standing` are in
 * service but not behind the load balancer (starting, draining) and carry only their own caches.
 *
 * @example
 * serverUtilization({ nodes: 600, pods: 18_000 }, { serving: [4, 4, 4], standing: [] })
 * // { serving: [0.72, 0.72, 0.72], standing: [] } (about)
 */
export function serverUtilization(
  size: ClusterSize,
  servers: { serving: readonly number[]; standing: readonly number[] },
  c: LoadCoefficients = DEFAULT_LOAD_COEFFICIENTS,
): { serving: number[]; standing: number[] } {
  const own = perServerCores(size, c);
  const share = servers.serving.length > 0 ? requestCores(size, c) / servers.serving.length : 0;
  return {
    serving: servers.serving.map((vcpus) => (own + share) / vcpus),
    standing: servers.standing.map((vcpus) => own / vcpus),
  };
}

/** CPUUtilization as EC2 reports it for an instance at this utilization, percent (0..100). */
export function cpuPercent(utilization: number): number {
  return Math.min(100, Math.max(0, utilization * 100));
}

/**
 * Latency of a request on a server at this utilization, seconds: `base / (1 - u)²`, capped at the
 * request timeout (at 70 % ~0.3 s, at 85 % ~1.3 s with the default base).
 */
export function latencySeconds(
  utilization: number,
  c: Pick<LoadCoefficients, 'baseLatencySeconds'> = DEFAULT_LOAD_COEFFICIENTS,
): number {
  if (utilization >= 1) return REQUEST_TIMEOUT_SECONDS;
  const u = Math.min(Math.max(0, utilization), SATURATED);
  return Math.min(REQUEST_TIMEOUT_SECONDS, c.baseLatencySeconds / (1 - u) ** 2);
}

/**
 * Mean latency over the serving API servers (each takes an equal share of the requests); the request
 * timeout when none serves.
 */
export function apiLatencySeconds(
  servingUtilization: readonly number[],
  c: Pick<LoadCoefficients, 'baseLatencySeconds'> = DEFAULT_LOAD_COEFFICIENTS,
): number {
  if (servingUtilization.length === 0) return REQUEST_TIMEOUT_SECONDS;
  let sum = 0;
  for (const u of servingUtilization) sum += latencySeconds(u, c);
  return sum / servingUtilization.length;
}

/** EKS: API request seats in use. */
export function seatsInUse(size: ClusterSize, c: LoadCoefficients = DEFAULT_LOAD_COEFFICIENTS): number {
  return requestRate(size, c) * c.seatSecondsPerRequest + (size.pods / 1000) * c.seatsPerThousandPods;
}
