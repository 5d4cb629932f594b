/**
 * The node-pool loop's items in the state store: one per Auto Scaling group (`pool#group#<asg>`: in-flight
 * scale-up, backoff, reported failure) and one per unavailable offering (`pool#offering#...`, expiring
 * with its TTL). Read with one query per tick; a corrupt item is reported and skipped, never fatal.
 */

import {
  GROUP_RECORD_PREFIX,
  type GroupRecord,
  OFFERING_RECORD_PREFIX,
  parseGroupRecord,
  parseUnavailableOffering,
  type UnavailableOffering,
} from '../nodepools/failures';
import type { StoredItem } from '../ports/state-store';

export interface NodePoolState {
  /** By group name. */
  records: Map<string, StoredItem<GroupRecord>>;
  offerings: StoredItem<UnavailableOffering>[];
  /** One line per item that did not decode. */
  problems: string[];
}

export function decodeNodePoolState(items: StoredItem[]): NodePoolState {
  const state: NodePoolState = { records: new Map(), offerings: [], problems: [] };
  for (const item of items) {
    try {
      if (item.sk.startsWith(GROUP_RECORD_PREFIX)) {
        const record = parseGroupRecord(item.data);
        state.records.set(record.asgName, { ...item, data: record });
      } else if (item.sk.startsWith(OFFERING_RECORD_PREFIX)) {
        state.offerings.push({ ...item, data: parseUnavailableOffering(item.data) });
      }
    } catch (error) {
      state.problems.push(`${item.sk}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return state;
}
