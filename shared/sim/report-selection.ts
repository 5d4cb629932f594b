/**
 * Which services get a "requests per second vs pods" chart in the report. A scenario of a few services
 * draws them all; a big one (full-day: 246 services) draws a selection, the table lists every service.
 * The selection is the scenario's (`reportServices`, a file's `report.services`) or chosen here,
 * deterministically, to show the policy at work: a service of each kind of metric the autoscalers use,
 * then, in turns, those that reached their maxReplicas, waited longest for nodes, swung most and
 * rescaled most. Each selected service carries its reasons for the chart's caption. Pure.
 */
import type { ServiceSummary } from './report-stats';

/** At most this many services are chosen automatically; a scenario with no more draws them all. */
export const MAX_AUTO_SELECTED_SERVICES = 12;

/** The kinds of metric in the order their representatives are chosen (others follow alphabetically). */
export const METRIC_KIND_ORDER = ['CPU', 'External requests/s', 'queue length', 'Pods'] as const;

export interface SelectedService {
  key: string;
  /** Why it was chosen, e.g. `most rescales (14)`; empty when every service is drawn or the scenario chose. */
  reasons: string[];
}

export interface ServiceSelection {
  /** `all`: every service (no more than the limit); `scenario`: the scenario's list; `automatic`: chosen here. */
  mode: 'all' | 'scenario' | 'automatic';
  /** The services to draw: the scenario's order for `all` and `automatic`, the list's for `scenario`. */
  services: SelectedService[];
  /** Services in the run. */
  total: number;
}

export interface SelectionOptions {
  /** The scenario's choice (`namespace/name`); unknown keys throw. */
  requested?: readonly string[];
  /** @default MAX_AUTO_SELECTED_SERVICES */
  limit?: number;
}

/**
 * The kind of an autoscaler metric as `ServiceSummary.metrics` writes it (`Type/name`).
 *
 * @example metricKind('External/sqs-queue-length') // 'queue length'
 * @example metricKind('Pods/requests-per-second') // 'Pods'
 */
export function metricKind(metric: string): string {
  const slash = metric.indexOf('/');
  const type = slash < 0 ? metric : metric.slice(0, slash);
  const name = slash < 0 ? '' : metric.slice(slash + 1);
  if (/queue/i.test(name)) return 'queue length';
  if (type === 'Resource' || type === 'ContainerResource') return name === 'cpu' ? 'CPU' : name;
  if (type === 'External' && /request/i.test(name)) return 'External requests/s';
  return type;
}

/**
 * What is wrong with a scenario's list of services to chart: keys it does not have, keys listed twice.
 * `index` is the position in the list.
 *
 * @example reportServiceProblems(['shop/web', 'shop/nope'], ['shop/web', 'shop/cart'])
 * // [{ index: 1, message: 'no service shop/nope in the scenario (it has shop/web, shop/cart)' }]
 */
export function reportServiceProblems(
  requested: readonly string[],
  known: readonly string[],
): { index: number; message: string }[] {
  const knownSet = new Set(known);
  const seen = new Map<string, number>();
  const problems: { index: number; message: string }[] = [];
  for (const [index, key] of requested.entries()) {
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ index, message: `${key} is listed twice (first at [${first}])` });
      continue;
    }
    seen.set(key, index);
    if (!knownSet.has(key))
      problems.push({ index, message: `no service ${key} in the scenario (${hint(key, known)})` });
  }
  return problems;
}

/** Services to name in an unknown key's message: all of a few, else those of the same name or namespace. */
const HINT_SERVICES = 8;

function hint(key: string, known: readonly string[]): string {
  if (known.length === 0) return 'it has no services';
  if (known.length <= HINT_SERVICES) return `it has ${known.join(', ')}`;
  const [namespace, name] = key.split('/');
  const near = known.filter((k) => k.endsWith(`/${name}`) || k.startsWith(`${namespace}/`));
  if (near.length === 0) return `keys are namespace/name, e.g. ${known[0]}`;
  const shown = near.slice(0, HINT_SERVICES);
  return `did you mean ${shown.join(', ')}${near.length > shown.length ? ', …' : ''}?`;
}

interface Criterion {
  /** Candidates, best first (ties in scenario order). */
  ranked: ServiceSummary[];
  /** Why a candidate is one, e.g. `most rescales (14)`. */
  reason(service: ServiceSummary): string;
  /** Whether the candidate is (one of) the best: such a one says so even when chosen for another reason. */
  isBest(service: ServiceSummary): boolean;
}

const swing = (service: ServiceSummary) => service.maxReplicas - service.minReplicas;
const count = (value: number) => value.toLocaleString('en-GB', { maximumFractionDigits: 0 });

/**
 * Services with a `value` above 0, largest first, ties in scenario order; a candidate's reason is
 * `<most> (<text>)` for the largest value and `<noun> #<rank> (<text>)` after it, tied values sharing
 * their rank (1, 2, 2, 4).
 */
function rankedBy(
  services: readonly ServiceSummary[],
  value: (service: ServiceSummary) => number,
  words: { most: string; noun: string; text: (service: ServiceSummary) => string },
): Criterion {
  const ranked = services.filter((service) => value(service) > 0).sort((a, b) => value(b) - value(a));
  const rank = (service: ServiceSummary) => ranked.filter((other) => value(other) > value(service)).length;
  return {
    ranked,
    reason: (service) => {
      const at = rank(service);
      return at === 0
        ? `${words.most} (${words.text(service)})`
        : `${words.noun} #${at + 1} (${words.text(service)})`;
    },
    isBest: (service) => ranked.includes(service) && rank(service) === 0,
  };
}

function criteria(services: readonly ServiceSummary[]): Criterion[] {
  const kinds = new Map<string, ServiceSummary[]>();
  for (const service of services) {
    for (const metric of service.metrics) {
      const kind = metricKind(metric);
      const users = kinds.get(kind) ?? [];
      if (!users.includes(service)) users.push(service);
      kinds.set(kind, users);
    }
  }
  const order = (kind: string) => {
    const at = (METRIC_KIND_ORDER as readonly string[]).indexOf(kind);
    return at < 0 ? METRIC_KIND_ORDER.length : at;
  };
  const byKind = [...kinds.entries()]
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
    .map(([kind, users]): Criterion => {
      // The busiest user of the kind shows it best.
      const best = [...users].sort((a, b) => b.rescales - a.rescales || swing(b) - swing(a)).slice(0, 1);
      return {
        ranked: best,
        reason: (service) =>
          `scales on ${kind} (${service.metrics.filter((m) => metricKind(m) === kind).join(', ')})`,
        isBest: (service) => best.includes(service),
      };
    });
  const atMax = services
    .filter((s) => s.maxAllowed !== undefined && s.maxReplicas >= s.maxAllowed)
    .sort((a, b) => b.rescales - a.rescales);
  return [
    ...byKind,
    {
      ranked: atMax,
      reason: (service) => `reached maxReplicas (${service.maxAllowed})`,
      isBest: (service) => atMax.includes(service),
    },
    rankedBy(services, (s) => s.pendingPodSeconds, {
      most: 'most pod-seconds pending',
      noun: 'pod-seconds pending',
      text: (s) => count(s.pendingPodSeconds),
    }),
    rankedBy(services, swing, {
      most: 'largest swing of replicas',
      noun: 'swing of replicas',
      text: (s) => `${s.minReplicas}–${s.maxReplicas}`,
    }),
    rankedBy(services, (s) => s.rescales, {
      most: 'most rescales',
      noun: 'rescales',
      text: (s) => String(s.rescales),
    }),
  ];
}

/**
 * The services to chart: the scenario's list, all of them when there are no more than `limit`, else up
 * to `limit` chosen in turns over the criteria (a metric kind's busiest service; reached maxReplicas;
 * most pod-seconds pending; largest max − min of replicas; most rescales), each turn taking every
 * criterion's next candidate. A candidate already chosen gets the reason added and takes no place; the
 * best of a criterion says so too.
 *
 * @example selectServices(summarizeServices(result)).services.map((s) => `${s.key}: ${s.reasons.join(', ')}`)
 */
export function selectServices(
  services: readonly ServiceSummary[],
  options: SelectionOptions = {},
): ServiceSelection {
  const total = services.length;
  if (options.requested !== undefined) {
    const problems = reportServiceProblems(
      options.requested,
      services.map((s) => s.key),
    );
    if (problems.length > 0)
      throw new Error(`services to chart: ${problems.map((p) => `[${p.index}] ${p.message}`).join('; ')}`);
    return { mode: 'scenario', total, services: options.requested.map((key) => ({ key, reasons: [] })) };
  }
  const limit = options.limit ?? MAX_AUTO_SELECTED_SERVICES;
  if (total <= limit)
    return { mode: 'all', total, services: services.map((s) => ({ key: s.key, reasons: [] })) };

  // Per chosen service, the criteria it came up under (in criterion order for its caption).
  const chosen = new Map<string, Set<Criterion>>();
  const all = criteria(services);
  const turns = Math.max(0, ...all.map((c) => c.ranked.length));
  for (let turn = 0; turn < turns && chosen.size < limit; turn++) {
    for (const criterion of all) {
      const service = criterion.ranked[turn];
      if (!service) continue;
      const why = chosen.get(service.key);
      if (why) why.add(criterion);
      else if (chosen.size < limit) chosen.set(service.key, new Set([criterion]));
    }
  }
  const reasonsOf = (service: ServiceSummary) => {
    const why = chosen.get(service.key) ?? new Set();
    return all.filter((c) => why.has(c) || c.isBest(service)).map((c) => c.reason(service));
  };
  return {
    mode: 'automatic',
    total,
    services: services.filter((s) => chosen.has(s.key)).map((s) => ({ key: s.key, reasons: reasonsOf(s) })),
  };
}
