/**
 * Deterministic randomness for the simulator. Nothing here reads `Math.random()`: every value derives from
 * a seed, so a scenario replays identically. Noise that depends on *when* and *for what* it is read (a
 * pod's usage at a scrape, a trace at a minute) is a hash of those inputs, not a draw from a stream, so
 * reading it more or less often (a dry run, an extra controller) never changes the world.
 */

/** FNV-1a, 32 bits: a stable number for a name (seeds per service, per node). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Mixes integers into one well-spread 32-bit value (a murmur3-style finaliser per step). */
export function mix32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    let k = Math.imul(part | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform value in [0, 1) determined by the parts. */
export function unitHash(...parts: number[]): number {
  return mix32(...parts) / 4294967296;
}

/** A uniform value in [-1, 1) determined by the parts. */
export function signedHash(...parts: number[]): number {
  return unitHash(...parts) * 2 - 1;
}

/**
 * A seeded stream of uniform values in [0, 1) (mulberry32), for sequences whose order is fixed (ids,
 * names).
 *
 * @example
 * const next = createRandom(42);
 * const a = next(); // always the same for seed 42
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHANUMERIC = 'bcdfghjklmnpqrstvwxz2456789';

/** A Kubernetes-style random suffix (`7d9fz`) drawn from `next`. */
export function randomSuffix(next: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[Math.floor(next() * ALPHANUMERIC.length)];
  return out;
}
