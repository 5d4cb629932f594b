/**
 * First fit over nodes: the first node, in the order nodes were added, whose free room covers a pod's
 * requests and still has a pod slot. A max segment tree over the nodes' free amounts lets a search skip
 * every run of nodes without room for the pod at once, so placing a class of pods costs a few tree walks
 * instead of a scan of every node (first-fit decreasing over thousands of nodes stays near n log n).
 * Pure data structure.
 */

import type { NodeRoom } from './scheduling';

/** Leaves the tree starts with; it doubles when full. */
const INITIAL_LEAVES = 16;

export class FirstFitIndex<T extends { room: NodeRoom }> {
  private readonly items: T[] = [];
  /** Resources per room, plus one for pod slots (the last column). */
  private readonly width: number;
  private leaves = INITIAL_LEAVES;
  /** Per tree node (1-based heap order), the largest free amount of each column below it. */
  private max: Float64Array;

  /** `resources`: the length of the rooms' `free` arrays. */
  constructor(private readonly resources: number) {
    this.width = resources + 1;
    this.max = new Float64Array(2 * this.leaves * this.width).fill(Number.NEGATIVE_INFINITY);
  }

  get size(): number {
    return this.items.length;
  }

  item(position: number): T {
    const item = this.items[position];
    if (item === undefined) throw new RangeError(`no node at ${position}`);
    return item;
  }

  /** Adds a node at the end; returns its position. */
  add(item: T): number {
    if (this.items.length === this.leaves) this.grow();
    this.items.push(item);
    const position = this.items.length - 1;
    this.refresh(position);
    return position;
  }

  /** Re-reads one node's room after pods were placed on it. */
  refresh(position: number): void {
    const room = this.item(position).room;
    let node = this.leaves + position;
    const at = node * this.width;
    for (let r = 0; r < this.resources; r++) this.max[at + r] = room.free[r] as number;
    this.max[at + this.resources] = room.podsLeft;
    for (node >>= 1; node >= 1; node >>= 1) {
      const own = node * this.width;
      const left = 2 * node * this.width;
      const right = left + this.width;
      for (let c = 0; c < this.width; c++) {
        this.max[own + c] = Math.max(this.max[left + c] as number, this.max[right + c] as number);
      }
    }
  }

  /**
   * The first position at or after `from` whose room covers every positive request and has a pod slot,
   * or -1. Host ports and anti-affinity are the caller's to check (they are not amounts).
   */
  find(requests: Float64Array, from = 0): number {
    if (from >= this.items.length) return -1;
    return this.search(1, 0, this.leaves - 1, from, requests);
  }

  private covers(node: number, requests: Float64Array): boolean {
    const at = node * this.width;
    if ((this.max[at + this.resources] as number) < 1) return false;
    for (let r = 0; r < this.resources; r++) {
      const request = requests[r] as number;
      if (request > 0 && (this.max[at + r] as number) < request) return false;
    }
    return true;
  }

  private search(node: number, low: number, high: number, from: number, requests: Float64Array): number {
    if (high < from || low >= this.items.length || !this.covers(node, requests)) return -1;
    if (low === high) return low;
    const middle = (low + high) >> 1;
    const left = this.search(2 * node, low, middle, from, requests);
    if (left >= 0) return left;
    return this.search(2 * node + 1, middle + 1, high, from, requests);
  }

  private grow(): void {
    const old = this.max;
    const oldLeaves = this.leaves;
    this.leaves *= 2;
    this.max = new Float64Array(2 * this.leaves * this.width).fill(Number.NEGATIVE_INFINITY);
    this.max.set(old.subarray(oldLeaves * this.width, 2 * oldLeaves * this.width), this.leaves * this.width);
    for (let node = this.leaves - 1; node >= 1; node--) {
      const own = node * this.width;
      const left = 2 * node * this.width;
      const right = left + this.width;
      for (let c = 0; c < this.width; c++) {
        this.max[own + c] = Math.max(this.max[left + c] as number, this.max[right + c] as number);
      }
    }
  }
}
