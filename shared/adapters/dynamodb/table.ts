/**
 * The single-table layout of the state store, shared by the CDK stack (which creates the table), the
 * store (which reads and writes it) and the local DynamoDB (which creates it for `npm start` and tests).
 * No SDK imports here, so infra can import it without pulling the AWS SDK in.
 *
 * | attribute   | type | meaning                                                            |
 * | ----------- | ---- | ------------------------------------------------------------------ |
 * | `pk`        | S    | partition key, `cluster#<cluster>`                                 |
 * | `sk`        | S    | sort key by kind: `hpa#<ns>/<name>`, `lease#<loop>`, ...           |
 * | `version`   | N    | optimistic concurrency: 1 on create, +1 on every write             |
 * | `expiresAt` | N    | epoch seconds; the table's TTL attribute (absent = never expires)  |
 * | `data`      | M    | the item's payload                                                 |
 *
 * @example
 * new dynamodb.TableV2(this, 'State', {
 *   partitionKey: { name: STATE_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
 *   sortKey: { name: STATE_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
 *   timeToLiveAttribute: STATE_TABLE.timeToLiveAttribute,
 *   billing: dynamodb.Billing.onDemand(),
 * });
 */
export const STATE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Both keys are strings (DynamoDB attribute type `S`, CDK `AttributeType.STRING`). */
  keyType: 'S',
  versionAttribute: 'version',
  timeToLiveAttribute: 'expiresAt',
  dataAttribute: 'data',
  /** On-demand (DynamoDB `PAY_PER_REQUEST`, CDK `Billing.onDemand()`): load follows the clusters' ticks. */
  billingMode: 'PAY_PER_REQUEST',
} as const;

/** Table name the local DynamoDB uses when none is given. Deployed tables get a CDK-generated name. */
export const DEFAULT_STATE_TABLE_NAME = 'tideplane-state';

const CLUSTER_KEY_PREFIX = 'cluster#';
const LEASE_KEY_PREFIX = 'lease#';

/**
 * Partition key of a cluster's items.
 *
 * @example clusterKey('prod-eu') // 'cluster#prod-eu'
 */
export function clusterKey(cluster: string): string {
  return `${CLUSTER_KEY_PREFIX}${cluster}`;
}

/**
 * The cluster a partition key belongs to (inverse of `clusterKey`).
 *
 * @example clusterFromKey('cluster#prod-eu') // 'prod-eu'
 */
export function clusterFromKey(pk: string): string {
  if (!pk.startsWith(CLUSTER_KEY_PREFIX)) throw new Error(`not a cluster partition key: ${pk}`);
  return pk.slice(CLUSTER_KEY_PREFIX.length);
}

/**
 * Sort key of the lease item of a loop.
 *
 * @example leaseKey('hpa') // 'lease#hpa'
 */
export function leaseKey(loop: string): string {
  return `${LEASE_KEY_PREFIX}${loop}`;
}

/**
 * Whether an item with TTL `expiresAt` (epoch seconds) counts as gone at `nowMs` (epoch ms). DynamoDB
 * deletes such items late (up to days) and the local DynamoDB never does, so the store checks in code.
 */
export function isExpired(expiresAt: number | undefined, nowMs: number): boolean {
  return expiresAt !== undefined && expiresAt * 1000 < nowMs;
}
