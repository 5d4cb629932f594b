/**
 * Memory-pressure evictions as the kubelet reports them on the pod it evicted: `status.reason: Evicted`
 * and a message that names the starved resource and, per offending container, its usage
 * (pkg/kubelet/eviction: "The node was low on resource: memory. Threshold quantity: 100Mi, available:
 * 80Mi. Container app was using 1500Mi, request is 1Gi, has larger consumption of memory. "). Upstream's
 * recommender reads the same facts from the eviction Event's annotations; the pod's status carries them
 * too and comes with the pod list the loop makes anyway. Pure.
 */
import { parseMilli } from '../units/quantity';

export const EVICTED_REASON = 'Evicted';

const MEMORY_PRESSURE = /low on resource: memory\b/;
const CONTAINER_USAGE =
  /Container (\S+) was using (\S+?), request is (\S+?), has larger consumption of memory/g;

/**
 * The offending containers' memory usage in bytes, or undefined when the message is not a memory eviction.
 * An empty map: a memory eviction that names no container (an older kubelet's message).
 *
 * @example
 * memoryEvictionUsage('The node was low on resource: memory. Container app was using 1500Mi, request is 1Gi, has larger consumption of memory. ')
 * // Map { 'app' => 1572864000 }
 */
export function memoryEvictionUsage(message: string | undefined): Map<string, number> | undefined {
  if (message === undefined || !MEMORY_PRESSURE.test(message)) return undefined;
  const usage = new Map<string, number>();
  for (const match of message.matchAll(CONTAINER_USAGE)) {
    const [, container, used] = match;
    if (container === undefined || used === undefined) continue;
    try {
      const bytes = parseMilli(used) / 1000;
      if (Number.isFinite(bytes) && bytes >= 0) usage.set(container, bytes);
    } catch {
      // A quantity the kubelet never writes: the container is left out, not guessed.
    }
  }
  return usage;
}
