/**
 * A simulated Amazon CloudWatch for the simulator: `GetMetricData` over the Application Load Balancer
 * metrics of the cluster's web workloads, behind an object typed as the SDK's `CloudWatchClient` so the
 * real `cloudwatch` collector runs unchanged.
 *
 * The cluster sits behind one ALB (`albLoadBalancerName(clusterName)`); every workload that is not a
 * queue worker is a target group of it (`albTargetGroupName(namespace, name)`) whose healthy targets are
 * the workload's Ready pods. The fake publishes, per minute, in namespace `AWS/ApplicationELB`:
 *
 * | metric | dimensions | value of a minute |
 * | --- | --- | --- |
 * | `RequestCount` | `LoadBalancer`; `LoadBalancer, TargetGroup` | requests that arrived in the minute (none when 0, as ALB reports it only when non-zero) |
 * | `RequestCountPerTarget` | `TargetGroup`; `LoadBalancer, TargetGroup` | the target group's requests divided by its healthy targets (time-averaged over the minute, at least 1) |
 * | `HealthyHostCount` | `LoadBalancer, TargetGroup` | Ready pods, time-averaged over the minute |
 *
 * all with unit `Count`. As in CloudWatch:
 * - a query matches a metric by namespace, name and the exact SET of dimensions (RequestCount with only
 *   `TargetGroup` has no data), and a `Unit` other than the metric's gives no data;
 * - a minute's datapoint is published `ALB_PUBLISH_DELAY_MS` after the minute ends;
 * - StartTime is rounded down to the minute (to the period for 1–30 s periods), the datapoints are the
 *   periods from there that start before EndTime, each stamped with the start of its period and
 *   aggregating the published minutes in it with the statistic (`Sum`, `SampleCount`, `Average`,
 *   `Minimum`, `Maximum`, `pNN`); a period without a published minute has no datapoint;
 * - up to 500 queries a call; metric math as `sim-cloudwatch-math.ts` evaluates it; bad input is
 *   `InvalidParameterValueException`.
 * History starts `ALB_HISTORY_BEFORE_START_MS` before the world's start, as if the Ready pods of the start
 * had been serving since then. Calls are counted, and can be told to fail their next N calls.
 */
import {
  type CloudWatchClient,
  type Dimension,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  type GetMetricDataInput,
  InvalidParameterValueException,
  type MetricDataQuery,
  type MetricDataResult,
  MissingRequiredParameterException,
} from '@aws-sdk/client-cloudwatch';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from './api-calls';
import type { SimCluster } from './cluster';
import { hashString, mix32 } from './random';
import { evaluateMetricMath, type MathSeries, type MathValue, MetricMathError } from './sim-cloudwatch-math';
import { SIM_AWS_ACCOUNT_ID } from './sim-sqs';
import type { WorkloadRecord } from './workload-record';

export const ALB_NAMESPACE = 'AWS/ApplicationELB';
/** How long after a minute ends its ALB datapoints can be read. */
export const ALB_PUBLISH_DELAY_MS = 60_000;
/** How far back the fake has data for the workloads the world starts with. */
export const ALB_HISTORY_BEFORE_START_MS = 60 * 60_000;
/** `GetMetricData` takes at most this many queries per call. */
export const MAX_METRIC_DATA_QUERIES = 500;

const MINUTE_MS = 60_000;
/** Midpoint samples of the load trace per minute, to integrate a minute's requests. */
const LOAD_SAMPLES_PER_MINUTE = 12;
const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;
const STANDARD_STATISTICS = new Set(['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum']);

const hex = (n: number, digits: number): string => n.toString(16).padStart(8, '0').slice(0, digits);

function hex16(text: string): string {
  const a = hashString(text);
  return hex(a, 8) + hex(mix32(a, 0x5eed), 8);
}

/** The ALB's `LoadBalancer` dimension value, as the AWS Load Balancer Controller would name the cluster's ALB. */
export function albLoadBalancerName(clusterName: string): string {
  const slug = clusterName
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 28);
  return `app/k8s-${slug}/${hex16(`alb|${clusterName}`)}`;
}

/**
 * The `TargetGroup` dimension value of a workload's target group (`targetgroup/<name>/<id>`), named as
 * the AWS Load Balancer Controller names them: `k8s-<namespace>-<service>-<hash>`, 32 characters at most.
 */
export function albTargetGroupName(namespace: string, name: string): string {
  const key = `${namespace}/${name}`;
  const short = `k8s-${namespace.slice(0, 8)}-${name.slice(0, 8)}-${hex16(`tg|${key}`).slice(0, 10)}`;
  return `targetgroup/${short}/${hex16(`tg-id|${key}`)}`;
}

type Series = 'RequestCount' | 'RequestCountPerTarget' | 'HealthyHostCount';

interface Health {
  /** Start of the first minute with data. */
  since: number;
  /** Observed up to here. */
  at: number;
  /** Ready pods since `at`. */
  ready: number;
  /** Minute start → Ready pod-seconds in that minute. */
  readySeconds: Map<number, number>;
  /** Minute start → requests that arrived (published minutes only). */
  requests: Map<number, number>;
}

/** A resolved query: what to compute per minute. */
type Source =
  | { kind: 'loadBalancer' }
  | { kind: 'targetGroup'; workload: WorkloadRecord; series: Series }
  | { kind: 'none' };

interface Evaluated {
  value: MathValue;
  label: string;
}

/** The slice of `CloudWatchClient` the fake implements. */
interface CloudWatchSend {
  send(
    command: GetMetricDataCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<GetMetricDataCommandOutput>;
}

export interface SimCloudWatchOptions {
  cluster: SimCluster;
  region: string;
  /** The `LoadBalancer` dimension of the cluster's ALB. */
  loadBalancer: string;
  /** @default SIM_AWS_ACCOUNT_ID */
  accountId?: string;
}

function invalid(message: string): InvalidParameterValueException {
  return new InvalidParameterValueException({ message, $metadata: { httpStatusCode: 400 } });
}

function aborted(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}

const validPeriod = (seconds: number): boolean =>
  Number.isInteger(seconds) &&
  ([1, 5, 10, 20, 30].includes(seconds) || (seconds >= 60 && seconds % 60 === 0));

/** A statistic over a period's minute values. */
function aggregate(stat: string, values: number[]): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'SampleCount':
      return values.length;
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
  }
  // pNN: nearest rank.
  const p = Number(stat.slice(1));
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const isStatistic = (stat: string): boolean =>
  STANDARD_STATISTICS.has(stat) || /^p(100|\d{1,2}(\.\d{1,2})?)$/.test(stat);

/**
 * @example
 * const cloudwatch = new SimCloudWatch({ cluster, region: 'eu-central-1', loadBalancer: albLoadBalancerName('c') });
 * const collector = new CloudWatchCollector({ clientFor: (region) => cloudwatch.client(region) });
 */
export class SimCloudWatch {
  readonly region: string;
  readonly accountId: string;
  readonly loadBalancer: string;
  private readonly cluster: SimCluster;
  private readonly startedAt: number;
  private readonly api = new ApiCallRecorder();
  private readonly clients = new Map<string, CloudWatchClient>();
  private readonly health = new Map<string, Health>();
  private targetGroups = new Map<string, string>();
  private queries = 0;

  constructor(options: SimCloudWatchOptions) {
    this.cluster = options.cluster;
    this.region = options.region;
    this.loadBalancer = options.loadBalancer;
    this.accountId = options.accountId ?? SIM_AWS_ACCOUNT_ID;
    this.startedAt = this.cluster.clock.now();
  }

  /** A `CloudWatchClient` for `region` (one per region). */
  client(region: string): CloudWatchClient {
    let client = this.clients.get(region);
    if (!client) {
      const narrow: CloudWatchSend = {
        send: (command, options) => this.send(region, command, options?.abortSignal),
      };
      client = narrow as unknown as CloudWatchClient;
      this.clients.set(region, client);
    }
    return client;
  }

  /** The `TargetGroup` dimension of a workload's target group. */
  targetGroupOf(namespace: string, name: string): string {
    return albTargetGroupName(namespace, name);
  }

  /**
   * Records the Ready pods of every web workload up to the clock's time. The world calls it whenever it
   * reconciles, so the record follows every change of readiness.
   */
  observe(): void {
    const now = this.cluster.clock.now();
    for (const workload of this.cluster.workloadRecords()) {
      if (workload.spec.queue) continue;
      let health = this.health.get(workload.key);
      if (!health) {
        const from = now === this.startedAt ? now - ALB_HISTORY_BEFORE_START_MS : now;
        health = {
          since: Math.ceil(from / MINUTE_MS) * MINUTE_MS,
          at: from,
          ready: workload.readyReplicas,
          readySeconds: new Map(),
          requests: new Map(),
        };
        this.health.set(workload.key, health);
      }
      let t = health.at;
      while (t < now) {
        const minute = Math.floor(t / MINUTE_MS) * MINUTE_MS;
        const end = Math.min(now, minute + MINUTE_MS);
        health.readySeconds.set(
          minute,
          (health.readySeconds.get(minute) ?? 0) + (health.ready * (end - t)) / 1000,
        );
        t = end;
      }
      health.at = Math.max(health.at, now);
      health.ready = workload.readyReplicas;
    }
  }

  /** `GetMetricData` calls per region (`requests`: `GetMetricData <region>`). */
  stats(): ApiStats {
    return this.api.stats();
  }

  /** `MetricDataQuery` structures answered, over all calls. */
  queryCount(): number {
    return this.queries;
  }

  resetStats(): void {
    this.api.reset();
    this.queries = 0;
  }

  /** The next `times` `GetMetricData` calls fail with `error` (default: a generic `Error`, like a 500). */
  failNext(times = 1, error?: ErrorFactory): void {
    this.api.failNext('GetMetricData', times, error);
  }

  private async send(
    region: string,
    command: GetMetricDataCommand,
    signal: AbortSignal | undefined,
  ): Promise<GetMetricDataCommandOutput> {
    await Promise.resolve();
    if (signal?.aborted) throw aborted(signal);
    if (!(command instanceof GetMetricDataCommand)) {
      const unknown = command as { constructor?: { name?: string } };
      throw new Error(
        `the simulated CloudWatch does not implement ${unknown.constructor?.name ?? 'this command'}`,
      );
    }
    this.api.call('GetMetricData', `GetMetricData ${region}`);
    this.cluster.sync();
    this.observe();
    return { ...this.getMetricData(region, command.input), $metadata: { httpStatusCode: 200 } };
  }

  private getMetricData(
    region: string,
    input: GetMetricDataInput,
  ): Omit<GetMetricDataCommandOutput, '$metadata'> {
    const queries = input.MetricDataQueries ?? [];
    if (queries.length === 0) throw missing('MetricDataQueries');
    if (!input.StartTime) throw missing('StartTime');
    if (!input.EndTime) throw missing('EndTime');
    if (queries.length > MAX_METRIC_DATA_QUERIES)
      throw invalid(
        `The collection MetricDataQueries must not have a size greater than ${MAX_METRIC_DATA_QUERIES}.`,
      );
    if (input.NextToken !== undefined) throw invalid('The NextToken is not valid.');
    const start = input.StartTime.getTime();
    const end = input.EndTime.getTime();
    if (!(start < end)) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
    const byId = new Map<string, MetricDataQuery>();
    queries.forEach((query, index) => {
      const member = `MetricDataQueries.member.${index + 1}`;
      const id = query.Id ?? '';
      if (!QUERY_ID.test(id)) throw invalid(`The value ${id} for parameter ${member}.Id is not valid.`);
      if (byId.has(id)) throw invalid(`The values for parameter Id in MetricDataQueries are not unique.`);
      if ((query.MetricStat === undefined) === (query.Expression === undefined))
        throw invalid(`Exactly one of MetricStat or Expression must be set in ${member}.`);
      const stat = query.MetricStat;
      if (stat) {
        if (!stat.Metric?.MetricName || !stat.Metric.Namespace)
          throw missing(`${member}.MetricStat.Metric.MetricName`);
        if (!validPeriod(stat.Period ?? 0))
          throw invalid(`The value ${stat.Period} for parameter ${member}.MetricStat.Period is not valid.`);
        if (!isStatistic(stat.Stat ?? ''))
          throw invalid(`The value ${stat.Stat} for parameter ${member}.MetricStat.Stat is not valid.`);
      } else if (query.Period !== undefined && !validPeriod(query.Period)) {
        throw invalid(`The value ${query.Period} for parameter ${member}.Period is not valid.`);
      }
      byId.set(id, query);
    });
    if (!queries.some((q) => q.ReturnData !== false))
      throw invalid('At least one MetricDataQuery must have ReturnData set to true.');

    this.queries += queries.length;
    const now = this.cluster.clock.now();
    const evaluated = new Map<string, Evaluated>();
    const evaluating = new Set<string>();
    const evaluate = (id: string): Evaluated => {
      const done = evaluated.get(id);
      if (done) return done;
      const query = byId.get(id);
      if (!query) throw new MetricMathError(`Unrecognized Id ${id}`);
      if (evaluating.has(id)) throw new MetricMathError(`the expression of ${id} refers to itself`);
      evaluating.add(id);
      let result: Evaluated;
      if (query.MetricStat) {
        result = {
          value: { kind: 'series', series: this.metricSeries(region, query, start, end, now) },
          label: query.Label ?? query.MetricStat.Metric?.MetricName ?? id,
        };
      } else {
        result = {
          value: evaluateMetricMath(query.Expression ?? '', (ref) => evaluate(ref).value),
          label: query.Label ?? id,
        };
      }
      evaluating.delete(id);
      evaluated.set(id, result);
      return result;
    };

    const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    const results: MetricDataResult[] = [];
    for (const query of queries) {
      if (query.ReturnData === false) continue;
      const id = query.Id ?? '';
      let result: Evaluated;
      try {
        result = evaluate(id);
      } catch (error) {
        if (error instanceof MetricMathError) throw invalid(`Error in expression '${id}': ${error.message}`);
        throw error;
      }
      if (result.value.kind !== 'series')
        throw invalid(`Error in expression '${id}': the expression must return a time series.`);
      const { timestamps, values } = result.value.series;
      const order = timestamps.map((_, i) => i);
      if (descending) order.reverse();
      results.push({
        Id: id,
        Label: result.label,
        Timestamps: order.map((i) => new Date(timestamps[i] ?? 0)),
        Values: order.map((i) => values[i] ?? 0),
        StatusCode: 'Complete',
        Messages: [],
      });
    }
    return { MetricDataResults: results, Messages: [] };
  }

  /** The datapoints of a `MetricStat` query, ascending. */
  private metricSeries(
    region: string,
    query: MetricDataQuery,
    start: number,
    end: number,
    now: number,
  ): MathSeries {
    const stat = query.MetricStat;
    const periodSeconds = stat?.Period ?? 60;
    const series: MathSeries = { timestamps: [], values: [], periodSeconds };
    if (!stat?.Metric) return series;
    const source = this.resolve(region, query);
    if (source.kind === 'none' || (stat.Unit !== undefined && stat.Unit !== 'Count')) return series;
    const periodMs = periodSeconds * 1000;
    const alignMs = periodSeconds >= 60 ? MINUTE_MS : periodMs;
    const lastPublished = now - ALB_PUBLISH_DELAY_MS - MINUTE_MS;
    for (let bucket = Math.floor(start / alignMs) * alignMs; bucket < end; bucket += periodMs) {
      const values: number[] = [];
      for (
        let minute = Math.ceil(bucket / MINUTE_MS) * MINUTE_MS;
        minute < bucket + periodMs;
        minute += MINUTE_MS
      ) {
        if (minute >= end || minute > lastPublished) break;
        const value = this.minuteValue(source, minute);
        if (value !== undefined) values.push(value);
      }
      if (values.length === 0) continue;
      series.timestamps.push(bucket);
      series.values.push(aggregate(stat.Stat ?? 'Average', values));
    }
    return series;
  }

  /** Which of the fake's series a `MetricStat` names (exact namespace, name and dimension set). */
  private resolve(region: string, query: MetricDataQuery): Source {
    const metric = query.MetricStat?.Metric;
    if (region !== this.region || !metric || metric.Namespace !== ALB_NAMESPACE) return { kind: 'none' };
    if (query.AccountId !== undefined && query.AccountId !== this.accountId) return { kind: 'none' };
    const dimensions = new Map<string, string>();
    for (const dimension of metric.Dimensions ?? ([] as Dimension[])) {
      if (!dimension.Name || dimension.Value === undefined || dimensions.has(dimension.Name))
        return { kind: 'none' };
      dimensions.set(dimension.Name, dimension.Value);
    }
    const names = [...dimensions.keys()].sort().join(',');
    const loadBalancer = dimensions.get('LoadBalancer');
    if (loadBalancer !== undefined && loadBalancer !== this.loadBalancer) return { kind: 'none' };
    const targetGroup = dimensions.get('TargetGroup');
    const workload = targetGroup === undefined ? undefined : this.workloadOfTargetGroup(targetGroup);
    switch (metric.MetricName) {
      case 'RequestCount':
        if (names === 'LoadBalancer') return { kind: 'loadBalancer' };
        if (names === 'LoadBalancer,TargetGroup' && workload)
          return { kind: 'targetGroup', workload, series: 'RequestCount' };
        return { kind: 'none' };
      case 'RequestCountPerTarget':
        if ((names === 'TargetGroup' || names === 'LoadBalancer,TargetGroup') && workload)
          return { kind: 'targetGroup', workload, series: 'RequestCountPerTarget' };
        return { kind: 'none' };
      case 'HealthyHostCount':
        if (names === 'LoadBalancer,TargetGroup' && workload)
          return { kind: 'targetGroup', workload, series: 'HealthyHostCount' };
        return { kind: 'none' };
      default:
        return { kind: 'none' };
    }
  }

  /** A published minute's value of a series; undefined where ALB reports nothing. */
  private minuteValue(source: Source, minute: number): number | undefined {
    if (source.kind === 'none') return undefined;
    if (source.kind === 'loadBalancer') {
      let total = 0;
      let any = false;
      for (const workload of this.cluster.workloadRecords()) {
        if (workload.spec.queue) continue;
        const requests = this.requestsIn(workload, minute);
        if (requests === undefined) continue;
        any = true;
        total += requests;
      }
      return any && total > 0 ? total : undefined;
    }
    const requests = this.requestsIn(source.workload, minute);
    const healthy = this.healthyIn(source.workload, minute);
    if (requests === undefined || healthy === undefined) return undefined;
    switch (source.series) {
      case 'RequestCount':
        return requests > 0 ? requests : undefined;
      case 'RequestCountPerTarget':
        return requests / Math.max(1, healthy);
      case 'HealthyHostCount':
        return healthy;
    }
  }

  /** Requests that arrived at the workload in the minute (integrated load trace); undefined before its history. */
  private requestsIn(workload: WorkloadRecord, minute: number): number | undefined {
    const health = this.health.get(workload.key);
    if (!health || minute < health.since || minute + MINUTE_MS > health.at) return undefined;
    let requests = health.requests.get(minute);
    if (requests === undefined) {
      const stepMs = MINUTE_MS / LOAD_SAMPLES_PER_MINUTE;
      requests = 0;
      for (let i = 0; i < LOAD_SAMPLES_PER_MINUTE; i++)
        requests += workload.spec.load(minute + (i + 0.5) * stepMs) * (stepMs / 1000);
      requests = Math.round(requests);
      health.requests.set(minute, requests);
    }
    return requests;
  }

  /** Ready pods, averaged over the minute; undefined before the workload's history. */
  private healthyIn(workload: WorkloadRecord, minute: number): number | undefined {
    const health = this.health.get(workload.key);
    if (!health || minute < health.since || minute + MINUTE_MS > health.at) return undefined;
    return (health.readySeconds.get(minute) ?? 0) / 60;
  }

  private workloadOfTargetGroup(targetGroup: string): WorkloadRecord | undefined {
    let key = this.targetGroups.get(targetGroup);
    if (key === undefined) {
      const names = new Map<string, string>();
      for (const workload of this.cluster.workloadRecords()) {
        if (!workload.spec.queue)
          names.set(albTargetGroupName(workload.namespace, workload.name), workload.key);
      }
      this.targetGroups = names;
      key = names.get(targetGroup);
    }
    return key === undefined ? undefined : this.cluster.workloadRecord(key);
  }
}

function missing(parameter: string): MissingRequiredParameterException {
  return new MissingRequiredParameterException({
    message: `The parameter ${parameter} is required.`,
    $metadata: { httpStatusCode: 400 },
  });
}
