/**
 * The compact stored form of an HPA's history (shared/loops/hpa-history-codec.ts): what expanding,
 * compacting, closing a run and comparing do, and the property that justifies the form: driving the
 * pure core through the codec, exactly as the loop does, takes the same decisions as feeding it
 * upstream's full history, while far fewer ticks need a write.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  evaluateAutoscaler,
  type HpaDecision,
  type HpaEvaluationInput,
  type HpaHistory,
  type MetricQueryResults,
  planAutoscaler,
  rescaleFailed,
} from '../../../shared/hpa/evaluate';
import {
  closeOpenRun,
  compactHistory,
  expandHistory,
  HPA_TICK_KEY,
  onlyDropsStaleSamples,
  type StoredHpaHistory,
  sameStoredHistory,
  storedHpaHistorySchema,
} from '../../../shared/loops/hpa-history-codec';
import { hpaStateKey } from '../../../shared/loops/hpa-loop';
import type { AutoscalerObject, Pod, PodMetrics } from '../../../shared/ports/kubernetes';
import {
  cpuSpec,
  DEPLOYMENT_REF,
  externalResult,
  input,
  makeAutoscaler,
  makePodMetrics,
  makePods,
  makeScale,
  NOW,
  TEST_SETTINGS,
} from '../hpa/fixtures';

const SECOND = 1000;
const TICK = 15 * SECOND;
/** Epoch ms `seconds` after NOW. */
const t = (seconds: number) => NOW + seconds * SECOND;
const rec = (seconds: number, replicas: number) => ({ timestamp: t(seconds), replicas });
const event = (seconds: number, replicaChange: number, outdated = false) => ({
  timestamp: t(seconds),
  replicaChange,
  outdated,
});

function history(
  recommendations: HpaHistory['recommendations'],
  events: Partial<Pick<HpaHistory, 'scaleUpEvents' | 'scaleDownEvents'>> = {},
): HpaHistory {
  return {
    recommendations,
    scaleUpEvents: events.scaleUpEvents ?? [],
    scaleDownEvents: events.scaleDownEvents ?? [],
  };
}

function stored(
  recommendations: HpaHistory['recommendations'],
  open?: { open: number; openSince: number },
  events: Partial<Pick<HpaHistory, 'scaleUpEvents' | 'scaleDownEvents'>> = {},
): StoredHpaHistory {
  return { ...history(recommendations, events), ...(open ?? {}) };
}

/**
 * What every stabilization window reads of a history: the latest timestamp of each replica count
 * (of the samples from `since` on: older ones no window reaches).
 */
function latestPerValue(h: HpaHistory | undefined, since = Number.NEGATIVE_INFINITY): Map<number, number> {
  const latest = new Map<number, number>();
  for (const { timestamp, replicas } of h?.recommendations ?? []) {
    if (timestamp < since) continue;
    latest.set(replicas, Math.max(timestamp, latest.get(replicas) ?? Number.NEGATIVE_INFINITY));
  }
  return new Map([...latest].sort(([a], [b]) => a - b));
}

/** What DynamoDB gives back: plain JSON. */
const roundTrip = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

/** A small seeded PRNG (mulberry32): the same seed replays the same scenario. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('HPA_TICK_KEY', () => {
  it('is read by the loop’s single `hpa#` query and can never be an autoscaler’s key', () => {
    expect(HPA_TICK_KEY.startsWith('hpa#')).toBe(true);
    for (const kind of ['HorizontalPodAutoscaler', 'HorizontalAutoscaler'] as const) {
      // Autoscaler keys are `hpa#hpa#…` or `hpa#tpa#…`; namespaces and names are DNS labels.
      expect(hpaStateKey(kind, 'ns', '~tick')).not.toBe(HPA_TICK_KEY);
      expect(hpaStateKey(kind, 'ns', 'web').startsWith(HPA_TICK_KEY)).toBe(false);
    }
  });
});

describe('expandHistory', () => {
  it.each([
    ['nothing stored', undefined],
    ['null', null],
    ['a string', 'history'],
    ['a recommendation without a number', { recommendations: [{ timestamp: 'soon', replicas: 2 }] }],
    ['a fractional open run', { recommendations: [], open: 2.5, openSince: t(0) }],
  ])('given %s, should give undefined (the core then starts afresh)', (_what, item) => {
    expect(expandHistory(item, t(0))).toBeUndefined();
  });

  it('given an item without an open run, should give its samples unchanged (also an item of the old full-list shape)', () => {
    // What the loop stored before the compact form: every sync's sample. Still read as is.
    const legacy = {
      recommendations: [rec(0, 2), rec(0, 6), rec(15, 6), rec(30, 6), rec(45, 4)],
      scaleUpEvents: [{ timestamp: t(0), replicaChange: 4 }],
      scaleDownEvents: [],
    };
    expect(expandHistory(roundTrip(legacy), t(45))).toEqual({
      ...legacy,
      // The schema's default for events stored without the flag.
      scaleUpEvents: [event(0, 4)],
    });
  });

  it('given an open run, should add its latest sample at the last completed tick', () => {
    const item = stored([rec(0, 6)], { open: 2, openSince: t(15) }, { scaleDownEvents: [event(15, 4)] });
    expect(expandHistory(roundTrip(item), t(120))).toEqual(
      history([rec(0, 6), rec(120, 2)], { scaleDownEvents: [event(15, 4)] }),
    );
  });

  it('given a tick marker older than the run’s start (the tick that opened it did not complete), should date the sample at openSince', () => {
    const item = stored([rec(0, 6)], { open: 2, openSince: t(30) });
    expect(expandHistory(item, t(15))).toEqual(history([rec(0, 6), rec(30, 2)]));
  });

  it('given no tick marker, should date the open run’s sample at openSince (a lower bound)', () => {
    const item = stored([], { open: 3, openSince: t(45) });
    expect(expandHistory(item, undefined)).toEqual(history([rec(45, 3)]));
  });

  it('should leave the stored item as it was', () => {
    const item = stored([rec(0, 6)], { open: 2, openSince: t(15) });
    const copy = structuredClone(item);
    expandHistory(item, t(60));
    expect(item).toEqual(copy);
  });
});

describe('compactHistory', () => {
  it('without an open run (a console run for one autoscaler), should keep the latest sample of each value, in time order', () => {
    const next = history([rec(0, 3), rec(15, 5), rec(30, 3), rec(45, 5), rec(60, 4)]);
    expect(compactHistory(next, t(60), undefined, false)).toEqual(
      stored([rec(30, 3), rec(45, 5), rec(60, 4)]),
    );
  });

  it('with an open run, should store the recommendation made now once, as the open run, and drop that value’s older samples', () => {
    const next = history([rec(0, 4), rec(15, 5), rec(30, 3), rec(45, 4)]);
    expect(compactHistory(next, t(45), undefined, true)).toEqual(
      stored([rec(15, 5), rec(30, 3)], { open: 4, openSince: t(45) }),
    );
  });

  it('while the same value is recommended, should keep the run’s start and need no write', () => {
    const previous = stored([rec(0, 6)], { open: 2, openSince: t(15) });
    // The core's history one tick later: the run's sample at the last tick plus this tick's.
    const next = history([...(expandHistory(previous, t(30))?.recommendations ?? []), rec(45, 2)]);
    const compacted = compactHistory(next, t(45), previous, true);
    expect(compacted).toEqual(previous);
    expect(sameStoredHistory(previous, compacted)).toBe(true);
  });

  it('when the recommendation changes, should start a new run now and keep the old value at its last tick', () => {
    const previous = stored([rec(0, 6)], { open: 2, openSince: t(15) });
    const next = history([...(expandHistory(previous, t(30))?.recommendations ?? []), rec(45, 5)]);
    const compacted = compactHistory(next, t(45), previous, true);
    expect(compacted).toEqual(stored([rec(0, 6), rec(30, 2)], { open: 5, openSince: t(45) }));
    expect(sameStoredHistory(previous, compacted)).toBe(false);
  });

  it('when a value leaves the windows (pruned by the core), should drop it; only that changed, so no write', () => {
    const previous = stored([rec(0, 6)], { open: 2, openSince: t(15) });
    const next = history([rec(300, 2), rec(315, 2)]);
    const compacted = compactHistory(next, t(315), previous, true);
    expect(compacted).toEqual(stored([], { open: 2, openSince: t(15) }));
    expect(sameStoredHistory(previous, compacted)).toBe(false);
    expect(onlyDropsStaleSamples(previous, compacted)).toBe(true);
  });

  it('when a new value is recorded, should not count as mere pruning', () => {
    const previous = stored([rec(0, 6)], { open: 2, openSince: t(15) });
    const compacted = compactHistory(history([rec(0, 6), rec(300, 2), rec(315, 3)]), t(315), previous, true);
    expect(onlyDropsStaleSamples(previous, compacted)).toBe(false);
  });

  it('given no recommendation made now (metrics failed, no scale), should close the run at its last sample', () => {
    const previous = stored([rec(0, 6)], { open: 2, openSince: t(15) });
    const next = expandHistory(previous, t(30)) as HpaHistory;
    const compacted = compactHistory(next, t(45), previous, true);
    expect(compacted).toEqual(stored([rec(0, 6), rec(30, 2)]));
    expect(compacted).not.toHaveProperty('open');
    expect(compacted).not.toHaveProperty('openSince');
  });

  it('should keep the scale events exactly, outdated slots included', () => {
    const events = {
      scaleUpEvents: [event(0, 4, true), event(15, 2)],
      scaleDownEvents: [event(30, 1)],
    };
    const compacted = compactHistory(history([rec(45, 3)], events), t(45), undefined, true);
    expect(compacted).toEqual(stored([], { open: 3, openSince: t(45) }, events));
  });

  it('given the first sync’s two samples at the same instant (the initial recommendation and the proposal), should keep both', () => {
    const next = history([rec(0, 2), rec(0, 6)]);
    const compacted = compactHistory(next, t(0), undefined, true);
    expect(compacted.openSince).toBe(t(0));
    expect(latestPerValue(expandHistory(roundTrip(compacted), t(0)))).toEqual(latestPerValue(next));
  });

  it('given random histories, should round-trip to the same latest sample per value at the next tick', () => {
    const random = prng(7);
    for (let i = 0; i < 500; i++) {
      const now = t(15 * (20 + Math.floor(random() * 20)));
      const samples = Array.from({ length: Math.floor(random() * 12) }, (_, k) => ({
        timestamp: now - TICK * (1 + Math.floor(random() * 20)) - k,
        replicas: 1 + Math.floor(random() * 5),
      }));
      const made = 1 + Math.floor(random() * 5);
      const next = history([...samples, { timestamp: now, replicas: made }]);
      const compacted = compactHistory(next, now, undefined, true);
      expect(compacted.open).toBe(made);
      // Stored as DynamoDB gives it back, expanded at the next tick with this tick as the last one.
      expect(latestPerValue(expandHistory(roundTrip(compacted), now))).toEqual(latestPerValue(next));
    }
  });
});

describe('closeOpenRun', () => {
  it('should turn the open run into a plain sample at the last completed tick', () => {
    const item = stored([rec(0, 6)], { open: 2, openSince: t(15) }, { scaleUpEvents: [event(0, 4)] });
    const closed = closeOpenRun(item, t(60));
    expect(closed).toEqual(stored([rec(0, 6), rec(60, 2)], undefined, { scaleUpEvents: [event(0, 4)] }));
    expect(closed).not.toHaveProperty('open');
    // The loop writes it: the run must not seem to go on while the autoscaler records nothing.
    expect(sameStoredHistory(item, closed)).toBe(false);
    // Later ticks see the value at the tick it was last recommended, not at theirs.
    expect(expandHistory(closed, t(120))).toEqual(
      history([rec(0, 6), rec(60, 2)], { scaleUpEvents: [event(0, 4)] }),
    );
  });

  it('given no tick marker, should close the run at its start', () => {
    expect(closeOpenRun(stored([], { open: 3, openSince: t(45) }), undefined)).toEqual(stored([rec(45, 3)]));
  });

  it('given no open run, should return the item itself (nothing to write)', () => {
    const item = stored([rec(0, 6), rec(30, 2)]);
    expect(closeOpenRun(item, t(60))).toBe(item);
  });
});

describe('sameStoredHistory', () => {
  const base = stored(
    [rec(0, 6), rec(30, 4)],
    { open: 2, openSince: t(45) },
    {
      scaleUpEvents: [event(0, 4)],
      scaleDownEvents: [event(30, 2)],
    },
  );

  it('given nothing stored before, should be false (the first write)', () => {
    expect(sameStoredHistory(undefined, base)).toBe(false);
  });

  it('given a different start of the same open run, should be true (decisions never read it)', () => {
    expect(sameStoredHistory(base, { ...base, openSince: t(15) })).toBe(true);
    expect(sameStoredHistory(structuredClone(base), base)).toBe(true);
  });

  it.each<[string, Partial<StoredHpaHistory>]>([
    ['another open value', { open: 3 }],
    ['no open run', { open: undefined, openSince: undefined }],
    ['a sample at another time', { recommendations: [rec(0, 6), rec(31, 4)] }],
    ['a sample of another value', { recommendations: [rec(0, 6), rec(30, 5)] }],
    ['one sample fewer', { recommendations: [rec(30, 4)] }],
    ['another scale-up event', { scaleUpEvents: [event(0, 3)] }],
    ['a scale-up event marked outdated', { scaleUpEvents: [event(0, 4, true)] }],
    ['another scale-down time', { scaleDownEvents: [event(31, 2)] }],
    ['one scale-down event more', { scaleDownEvents: [event(30, 2), event(45, 1)] }],
  ])('given %s, should be false', (_what, change) => {
    expect(sameStoredHistory(base, { ...base, ...change })).toBe(false);
    expect(sameStoredHistory({ ...base, ...change }, base)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------
// Equivalence: the codec against upstream's full history, in lockstep.

const TICKS = 200;
const SEEDS = [1, 2, 3, 17, 42, 2024];

interface Scenario {
  name: string;
  spec: object;
  /** The workload's metric: CPU utilization of the pods, or an External value. */
  metric: 'cpu' | 'external';
  initialReplicas: number;
  maxReplicas: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'no behavior (the 300 s downscale window of the settings, the 2× scale-up limit)',
    spec: cpuSpec(50, 1, 12),
    metric: 'cpu',
    initialReplicas: 3,
    maxReplicas: 12,
  },
  {
    name: 'the default behavior',
    spec: cpuSpec(50, 1, 12, { behavior: {} }),
    metric: 'cpu',
    initialReplicas: 3,
    maxReplicas: 12,
  },
  {
    name: 'up and down stabilization windows with Pods and Percent policies',
    spec: cpuSpec(60, 2, 15, {
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 60,
          selectPolicy: 'Max',
          policies: [
            { type: 'Pods', value: 2, periodSeconds: 30 },
            { type: 'Percent', value: 50, periodSeconds: 60 },
          ],
        },
        scaleDown: {
          stabilizationWindowSeconds: 120,
          selectPolicy: 'Min',
          policies: [
            { type: 'Pods', value: 1, periodSeconds: 30 },
            { type: 'Percent', value: 30, periodSeconds: 90 },
          ],
        },
      },
    }),
    metric: 'cpu',
    initialReplicas: 4,
    maxReplicas: 15,
  },
  {
    name: 'a long scale-up window and no scale-down window',
    spec: cpuSpec(40, 1, 20, {
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 180,
          policies: [{ type: 'Percent', value: 100, periodSeconds: 45 }],
        },
        scaleDown: {
          stabilizationWindowSeconds: 0,
          policies: [{ type: 'Pods', value: 3, periodSeconds: 15 }],
        },
      },
    }),
    metric: 'cpu',
    initialReplicas: 2,
    maxReplicas: 20,
  },
  {
    name: 'scale-down disabled, a short scale-up window, a tolerance of its own',
    spec: cpuSpec(50, 1, 10, {
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 30, tolerance: '0.05' },
        scaleDown: { selectPolicy: 'Disabled' },
      },
    }),
    metric: 'cpu',
    initialReplicas: 2,
    maxReplicas: 10,
  },
  {
    name: 'scale to and from zero on an External metric, 90 s scale-down window',
    spec: {
      scaleTargetRef: DEPLOYMENT_REF,
      minReplicas: 0,
      maxReplicas: 10,
      metrics: [
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '20' } } },
      ],
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 90,
          policies: [{ type: 'Percent', value: 50, periodSeconds: 30 }],
        },
      },
    },
    metric: 'external',
    initialReplicas: 1,
    maxReplicas: 10,
  },
];

/** What the world looks like at one tick: the same for both runs. */
interface World {
  now: number;
  /** Someone else sets the target to this count before the tick (an `kubectl scale`). */
  externalReplicas?: number;
  /** The scale target cannot be read (deleted for a moment). */
  noScale: boolean;
  /** metrics.k8s.io does not answer, or the External metric was not returned. */
  metricsDown: boolean;
  /** The scale update fails. */
  updateFails: boolean;
  /** Milli-CPU per container for the CPU scenarios, milli-units of the metric for the External one. */
  level: number;
  /** Per-pod factors around `level`. */
  jitter: number[];
  /** A pod whose metric sample is missing (a pod just restarted), if any. */
  missingPod?: number;
}

function worlds(seed: number, scenario: Scenario): World[] {
  const random = prng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const cpu = scenario.metric === 'cpu';
  let level = cpu ? 600 : 30_000;
  let busy = true;
  const newJitter = () => Array.from({ length: 40 }, () => 1 + 0.06 * (random() - 0.5));
  let jitter = newJitter();
  return Array.from({ length: TICKS }, (_, i) => {
    // A random walk through busy and calm stretches, so that changes and steady states both occur.
    if (random() < 0.04) busy = !busy;
    if (random() < (busy ? 0.4 : 0.04)) {
      level *= Math.exp((busy ? 0.35 : 0.15) * gaussian());
      if (!cpu && random() < 0.1) level = random() < 0.5 ? 0 : 60_000 * random();
      level = Math.min(cpu ? 4000 : 400_000, Math.max(cpu ? 20 : 0, level));
      jitter = newJitter();
    }
    const world: World = {
      now: NOW + i * TICK,
      noScale: random() < 0.02,
      metricsDown: random() < 0.03,
      updateFails: random() < 0.05,
      level: Math.round(level),
      jitter,
    };
    if (random() < 0.02) world.externalReplicas = Math.floor(random() * (scenario.maxReplicas + 4));
    if (random() < 0.03) world.missingPod = Math.floor(random() * 40);
    return world;
  });
}

interface RunState {
  autoscaler: AutoscalerObject;
  replicas: number;
  /** Ticks whose history had to be written. */
  writes: number;
}

interface TickOutcome {
  decision: HpaDecision;
  status: HpaDecision['status'];
  events: HpaDecision['events'];
  /** What the loop stores: undefined when there is nothing to store. */
  next: HpaHistory | undefined;
}

/** The loop's handling of one autoscaler around the core, minus Kubernetes: `reconcile` in hpa-loop.ts. */
function tickOnce(
  scenario: Scenario,
  run: RunState,
  world: World,
  history: HpaHistory | undefined,
): TickOutcome {
  if (world.externalReplicas !== undefined) run.replicas = world.externalReplicas;
  const count = run.replicas;
  let pods: Pod[] = [];
  let podMetrics: PodMetrics[] = [];
  let metricResults: MetricQueryResults = {};
  if (scenario.metric === 'cpu') {
    pods = makePods({ count, cpuRequest: '1.0' });
    const levels = Array.from({ length: count }, (_, i) => {
      const value = Math.round(world.level * (world.jitter[i % world.jitter.length] ?? 1));
      return [value, value];
    });
    podMetrics = makePodMetrics(levels).filter((_, i) => i !== world.missingPod);
  } else {
    pods = makePods({ count });
    if (!world.metricsDown) metricResults = { 0: externalResult(world.level) };
  }
  const evaluation: HpaEvaluationInput = input({
    autoscaler: run.autoscaler,
    scale: world.noScale ? undefined : makeScale(count),
    pods,
    podMetrics,
    podMetricsServed: !(scenario.metric === 'cpu' && world.metricsDown),
    metricResults,
    history,
    now: world.now,
  });
  const decision = evaluateAutoscaler(evaluation);
  const rescaled = decision.rescale && !world.updateFails;
  const { status, events } =
    decision.rescale && !rescaled
      ? rescaleFailed(decision, 'the server is currently unable to handle the request')
      : decision;
  run.autoscaler = { ...run.autoscaler, status };
  if (rescaled) run.replicas = decision.desiredReplicas;
  return {
    decision,
    status,
    events,
    next: rescaled ? decision.nextHistoryAfterRescale : decision.nextHistory,
  };
}

/** The part of a tick both runs must agree on. */
function observable(outcome: TickOutcome, run: RunState) {
  const { decision } = outcome;
  return {
    currentReplicas: decision.currentReplicas,
    desiredReplicas: decision.desiredReplicas,
    rescale: decision.rescale,
    rescaleReason: decision.rescaleReason,
    replicasAfter: run.replicas,
    status: outcome.status,
    statusChanged: decision.statusChanged,
    events: outcome.events,
    stabilized: decision.explanation.stabilization?.result,
    upperLimit: decision.explanation.stabilization?.upperLimitFromScaleUpWindow,
    lowerLimit: decision.explanation.stabilization?.lowerLimitFromScaleDownWindow,
    rateLimit: decision.explanation.rateLimit,
  };
}

interface LockstepResult {
  ticks: number;
  /** (a) ticks whose full history changed (upstream semantics: the old loop wrote each of them). */
  fullWrites: number;
  /** (b) ticks whose stored compact history changed (the loop writes only those). */
  compactWrites: number;
  /** Ticks whose sync recorded a recommendation (upstream's history changes at each of them). */
  recorded: number;
  rescales: number;
  /** Ticks whose result a stabilization window changed (the window held back the proposal). */
  stabilized: number;
  /** Ticks whose result a scaling policy or limit changed. */
  rateLimited: number;
}

function lockstep(scenario: Scenario, seed: number): LockstepResult {
  const autoscaler = makeAutoscaler(scenario.spec);
  const spec = planAutoscaler(autoscaler).spec;
  if (!spec) throw new Error(`${scenario.name}: invalid spec`);
  // The longest stabilization window in use: samples older than it are never read.
  const downWindow =
    spec.behavior?.scaleDown.stabilizationWindowSeconds ?? TEST_SETTINGS.downscaleStabilizationSeconds;
  const longestWindow = Math.max(spec.behavior?.scaleUp.stabilizationWindowSeconds ?? 0, downWindow);
  // (a) the core's history fed back as is, as upstream's controller keeps it in memory.
  const full: RunState & { history: HpaHistory | undefined } = {
    autoscaler,
    replicas: scenario.initialReplicas,
    writes: 0,
    history: undefined,
  };
  // (b) through the codec as the loop does: compact with an open run, store only when it changed,
  // read back as plain JSON, expand with the tick marker (the previous full tick's time).
  const compact: RunState & { item: unknown; lastTick: number | undefined } = {
    autoscaler,
    replicas: scenario.initialReplicas,
    writes: 0,
    item: undefined,
    lastTick: undefined,
  };
  const result: LockstepResult = {
    ticks: 0,
    fullWrites: 0,
    compactWrites: 0,
    recorded: 0,
    rescales: 0,
    stabilized: 0,
    rateLimited: 0,
  };

  for (const world of worlds(seed, scenario)) {
    const where = `${scenario.name}, seed ${seed}, t = ${(world.now - NOW) / SECOND} s`;
    const expanded = expandHistory(compact.item, compact.lastTick);
    // Before deciding: the windows see the same latest sample per value and the same scale events.
    const reach = world.now - longestWindow * SECOND;
    expect(latestPerValue(expanded, reach), `${where}: latest sample per value`).toEqual(
      latestPerValue(full.history, reach),
    );
    expect(
      { up: expanded?.scaleUpEvents, down: expanded?.scaleDownEvents },
      `${where}: scale events`,
    ).toEqual({ up: full.history?.scaleUpEvents, down: full.history?.scaleDownEvents });

    const a = tickOnce(scenario, full, world, full.history);
    const b = tickOnce(scenario, compact, world, expanded);
    expect(observable(b, compact), where).toEqual(observable(a, full));

    if (a.next && !isDeepStrictEqual(a.next, full.history)) {
      full.history = a.next;
      result.fullWrites++;
    }
    if (b.next) {
      const parsed = storedHpaHistorySchema.safeParse(compact.item);
      const previous = parsed.success ? parsed.data : undefined;
      const next = compactHistory(b.next, world.now, previous, true);
      // The loop's rule: write when it changed, but not when the core only pruned stale samples.
      if (!sameStoredHistory(previous, next) && !onlyDropsStaleSamples(previous, next)) {
        compact.item = roundTrip(next);
        result.compactWrites++;
      }
    }
    // The tick marker: one item per cluster, written once per full tick.
    compact.lastTick = world.now;

    result.ticks++;
    if (a.next?.recommendations.some((r) => r.timestamp === world.now)) result.recorded++;
    if (a.decision.rescale) result.rescales++;
    const { stabilization, rateLimit } = a.decision.explanation;
    if (stabilization && stabilization.result !== stabilization.input) result.stabilized++;
    if (rateLimit?.limited) result.rateLimited++;
  }
  return result;
}

const results = new Map<string, LockstepResult>();

/** Each scenario and seed runs once; the cluster-wide count reuses the results. */
function lockstepOnce(scenario: Scenario, seed: number): LockstepResult {
  const key = `${scenario.name}#${seed}`;
  const cached = results.get(key);
  if (cached) return cached;
  const result = lockstep(scenario, seed);
  results.set(key, result);
  return result;
}

describe('equivalence with upstream’s full history', () => {
  describe.each(SCENARIOS)('$name', (scenario) => {
    it.each(SEEDS)(
      `seed %i: ${TICKS} ticks at 15 s take the same decisions through the codec, with fewer writes`,
      (seed) => {
        const result = lockstepOnce(scenario, seed);
        expect(result.ticks).toBe(TICKS);
        // Upstream's history changes at every tick that records a recommendation.
        expect(result.fullWrites).toBeGreaterThanOrEqual(result.recorded);
        expect(result.compactWrites).toBeLessThan(result.fullWrites);
      },
    );

    it('exercised rescales, stabilization windows and rate limits over its seeds', () => {
      const all = SEEDS.map((seed) => lockstepOnce(scenario, seed));
      const sum = (field: keyof LockstepResult) => all.reduce((total, r) => total + r[field], 0);
      expect(sum('rescales')).toBeGreaterThan(20);
      expect(sum('stabilized')).toBeGreaterThan(20);
      expect(sum('rateLimited')).toBeGreaterThan(5);
      expect(sum('recorded')).toBeGreaterThan(TICKS * SEEDS.length * 0.8);
    });
  });

  it('writes fewer items in a cluster of all these autoscalers, tick marker included', () => {
    const all = SCENARIOS.flatMap((scenario) => SEEDS.map((seed) => lockstepOnce(scenario, seed)));
    const fullWrites = all.reduce((sum, r) => sum + r.fullWrites, 0);
    const compactWrites = all.reduce((sum, r) => sum + r.compactWrites, 0);
    // One cluster ticking all of them together: (b) adds one marker write per tick.
    expect(compactWrites + TICKS).toBeLessThan(fullWrites);
  });
});
