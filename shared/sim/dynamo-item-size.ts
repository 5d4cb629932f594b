/**
 * The size DynamoDB bills and limits (400 KB) for an item of the state table, by DynamoDB's documented
 * rules ("Item sizes and formats"): attribute names count; strings by UTF-8 bytes; numbers about one byte
 * per two significant digits plus one; booleans and null one byte; lists and maps 3 bytes plus one per
 * element plus the elements (a map's keys count as names). One write unit covers 1 KB, so the VPA
 * checkpoints' goal of "well under 4 KB" is checked with this, in the simulator and the benchmark.
 */
import { clusterKey, STATE_TABLE } from '../adapters/dynamodb/table';
import type { StoredItem } from '../ports/state-store';

const encoder = new TextEncoder();

function utf8(text: string): number {
  return encoder.encode(text).length;
}

/** Significant digits of a finite number, leading and trailing zeros dropped. */
function significantDigits(value: number): number {
  const digits = Math.abs(value).toExponential().replace(/e.*$/, '').replace('.', '').replace(/0+$/, '');
  return Math.max(1, digits.length);
}

/** Bytes of one attribute value (its name not included). */
export function dynamoValueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return Math.ceil(significantDigits(value) / 2) + 1;
  if (Array.isArray(value)) {
    return 3 + value.reduce<number>((sum, element) => sum + 1 + dynamoValueBytes(element), 0);
  }
  if (typeof value === 'object') {
    let sum = 3;
    for (const [key, element] of Object.entries(value as Record<string, unknown>)) {
      if (element === undefined) continue;
      sum += 1 + utf8(key) + dynamoValueBytes(element);
    }
    return sum;
  }
  throw new TypeError(`no DynamoDB type for ${typeof value}`);
}

/**
 * The size of a state-store item as the DynamoDB store writes it (keys, version, TTL, data).
 *
 * @example dynamoItemBytes({ cluster: 'prod', sk: 'vpa#monitoring/prometheus#prometheus', version: 3, data })
 */
export function dynamoItemBytes(
  item: Pick<StoredItem, 'cluster' | 'sk' | 'version' | 'data' | 'expiresAt'>,
): number {
  const attributes: [string, unknown][] = [
    [STATE_TABLE.partitionKey, clusterKey(item.cluster)],
    [STATE_TABLE.sortKey, item.sk],
    [STATE_TABLE.versionAttribute, item.version],
    ...(item.expiresAt !== undefined
      ? [[STATE_TABLE.timeToLiveAttribute, item.expiresAt] as [string, unknown]]
      : []),
    ...(item.data !== undefined ? [[STATE_TABLE.dataAttribute, item.data] as [string, unknown]] : []),
  ];
  return attributes.reduce((sum, [name, value]) => sum + utf8(name) + dynamoValueBytes(value), 0);
}
