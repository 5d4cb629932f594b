import type { Pod, PodMetrics } from '../ports/kubernetes';
import { parseSelector, type Selector } from '../units/label-selector';

/**
 * The tick's pods and pod metrics indexed once, so each autoscaler gets the few pods its target's
 * selector can match instead of scanning its whole namespace: without it a tick grows with
 * autoscalers × pods per namespace.
 *
 * `candidates` returns a superset of the matching pods (the core still applies the full selector):
 * the pods carrying one `key=value` the selector requires, or the whole namespace when it requires none.
 * The indexes are built on first use, and by label key only for the keys selectors require (usually one,
 * `app`): indexing every label of every pod cost more than the lookups it served.
 */
export class PodIndex {
  private byNamespace: Map<string, Pod[]> | undefined;
  /** Label key → namespace → value → pods, in list order (nested maps: no key string built per pod). */
  private readonly byLabel = new Map<string, Map<string, Map<string, Pod[]>>>();
  /** Namespace → pod name → sample (no joined string keys: building them per pod and tick added up). */
  private readonly metricsByPod = new Map<string, Map<string, PodMetrics>>();
  private readonly selectors = new Map<string, Selector | undefined>();

  constructor(
    private readonly pods: readonly Pod[],
    metrics: readonly PodMetrics[],
  ) {
    for (const sample of metrics) {
      let byName = this.metricsByPod.get(sample.namespace);
      if (!byName) {
        byName = new Map();
        this.metricsByPod.set(sample.namespace, byName);
      }
      byName.set(sample.name, sample);
    }
  }

  namespacePods(namespace: string): Pod[] {
    if (!this.byNamespace) {
      this.byNamespace = new Map();
      for (const pod of this.pods) push(this.byNamespace, pod.namespace, pod);
    }
    return this.byNamespace.get(namespace) ?? [];
  }

  candidates(namespace: string, selector: string | undefined): Pod[] {
    const required = selector ? this.requiredLabel(selector) : undefined;
    if (!required) return this.namespacePods(namespace);
    return this.labelIndex(required.key).get(namespace)?.get(required.value) ?? [];
  }

  /** metrics.k8s.io samples of these pods (the core matches samples to pods by name). */
  metricsOf(pods: readonly Pod[]): PodMetrics[] {
    const out: PodMetrics[] = [];
    let namespace: string | undefined;
    let byName: Map<string, PodMetrics> | undefined;
    for (const pod of pods) {
      if (pod.namespace !== namespace) {
        namespace = pod.namespace;
        byName = this.metricsByPod.get(namespace);
      }
      const sample = byName?.get(pod.name);
      if (sample) out.push(sample);
    }
    return out;
  }

  /** The pods carrying label `key`, by namespace and value. */
  private labelIndex(key: string): Map<string, Map<string, Pod[]>> {
    let index = this.byLabel.get(key);
    if (!index) {
      index = new Map();
      let namespace: string | undefined;
      let byValue: Map<string, Pod[]> | undefined;
      for (const pod of this.pods) {
        // Only the pod's own labels, as listing its entries would give them.
        if (!Object.prototype.propertyIsEnumerable.call(pod.labels, key)) continue;
        // Lists come grouped by namespace: one namespace lookup per run of pods.
        if (pod.namespace !== namespace || !byValue) {
          namespace = pod.namespace;
          byValue = index.get(namespace);
          if (!byValue) {
            byValue = new Map();
            index.set(namespace, byValue);
          }
        }
        push(byValue, pod.labels[key] as string, pod);
      }
      this.byLabel.set(key, index);
    }
    return index;
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

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
