/**
 * Items due at instants, earliest first: a binary min-heap with lazy deletion. An item is pushed again
 * whenever its instant changes; entries that no longer hold (the item is gone, or due at another instant
 * now) are dropped when they reach the top. The simulated cluster keeps one entry per pod transition
 * (start, Ready, gone), so finding what is due no longer scans every pod at every step.
 */

interface Entry<T> {
  at: number;
  /** Push order: equal instants come out in the order they went in. */
  seq: number;
  item: T;
}

/**
 * @example
 * const queue = new DueQueue<string>((item, at) => current.get(item) === at);
 * queue.push(10, 'a');
 * queue.popDue(15); // 'a'
 */
export class DueQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;

  /** `holds(item, at)`: whether an entry pushed for `item` at `at` still stands. */
  constructor(private readonly holds: (item: T, at: number) => boolean) {}

  /** Adds an entry; an infinite instant is never due and is not kept. */
  push(at: number, item: T): void {
    if (at === Number.POSITIVE_INFINITY) return;
    this.heap.push({ at, seq: this.seq++, item });
    this.siftUp(this.heap.length - 1);
  }

  /** The earliest instant of an entry that still holds (Infinity when none). */
  nextAt(): number {
    this.dropStale();
    return this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  /** Takes the earliest entry that holds and is due by `now`; undefined when there is none. */
  popDue(now: number): T | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    this.removeTop();
    return top.item;
  }

  /** Entries kept, stale ones included (for tests). */
  get size(): number {
    return this.heap.length;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (!top || this.holds(top.item, top.at)) return;
      this.removeTop();
    }
  }

  private removeTop(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private before(a: Entry<T>, b: Entry<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const entry = heap[index] as Entry<T>;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as Entry<T>;
      if (!this.before(entry, above)) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = entry;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const entry = heap[index] as Entry<T>;
    const length = heap.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child =
        right < length && this.before(heap[right] as Entry<T>, heap[left] as Entry<T>) ? right : left;
      const below = heap[child] as Entry<T>;
      if (!this.before(below, entry)) break;
      heap[i] = below;
      i = child;
    }
    heap[i] = entry;
  }
}
