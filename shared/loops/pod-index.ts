import type { Pod, PodMetrics } from '../ports/kubernetes';
import { parseSelector, type Selector } from '../units/label-selector';

/**
 * The tick's pods and pod metrics indexed once, so each autoscaler gets the few pods its target's
 * selector can match instead of scanning its whole namespace: without it a tick grows with
 * autoscalers × pods per namespace.
 *
 * `candidates` returns a superset of the matching pods (the core still applies the full selector):
 * the pods carrying one `key=value` the selector requires, or the whole namespace when it requires none.
 */
export class PodIndex {
  private readonly byNamespace = new Map<string, Pod[]>();
  private readonly byLabel = new Map<string, Pod[]>();
  private readonly metricsByPod = new Map<string, PodMetrics>();
  private readonly selectors = new Map<string, Selector | undefined>();

  constructor(pods: readonly Pod[], metrics: readonly PodMetrics[]) {
    for (const pod of pods) {
      push(this.byNamespace, pod.namespace, pod);
      for (const [key, value] of Object.entries(pod.labels))
        push(this.byLabel, labelKey(pod.namespace, key, value), pod);
    }
    for (const sample of metrics) this.metricsByPod.set(`${sample.namespace}/${sample.name}`, sample);
  }

  namespacePods(namespace: string): Pod[] {
    return this.byNamespace.get(namespace) ?? [];
  }

  candidates(namespace: string, selector: string | undefined): Pod[] {
    const required = selector ? this.requiredLabel(selector) : undefined;
    if (!required) return this.namespacePods(namespace);
    return this.byLabel.get(labelKey(namespace, required.key, required.value)) ?? [];
  }

  /** metrics.k8s.io samples of these pods (the core matches samples to pods by name). */
  metricsOf(pods: readonly Pod[]): PodMetrics[] {
    return pods.flatMap((pod) => {
      const sample = this.metricsByPod.get(`${pod.namespace}/${pod.name}`);
      return sample ? [sample] : [];
    });
  }

  private requiredLabel(selector: string): { key: string; value: string } | undefined {
    if (!this.selectors.has(selector)) {
      let parsed: Selector | undefined;
      try {
        parsed = parseSelector(selector);
      } catch {
        parsed = undefined; // the core reports the invalid selector; give it the whole namespace
      }
      this.selectors.set(selector, parsed);
    }
    const parsed = this.selectors.get(selector);
    if (!parsed || parsed.matchesNothing) return undefined;
    const requirement = parsed.requirements.find(
      (r) =>
        r.operator === 'Equals' ||
        r.operator === 'DoubleEquals' ||
        (r.operator === 'In' && r.values.length === 1),
    );
    return requirement ? { key: requirement.key, value: requirement.values[0] as string } : undefined;
  }
}

function labelKey(namespace: string, key: string, value: string): string {
  return `${namespace}\u0000${key}\u0000${value}`;
}

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
