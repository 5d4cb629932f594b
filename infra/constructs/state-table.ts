import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { clusterKey, STATE_TABLE } from '../../shared/adapters/dynamodb/table';

/**
 * The DynamoDB actions the state store (`shared/adapters/dynamodb/state-store.ts`) sends: one query per
 * cluster and tick, single-item reads, and single-item conditional writes. No Scan (the `LeadingKeys`
 * condition cannot confine it to a partition), no batch or transaction calls.
 */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

export interface StateTableProps {
  /**
   * What happens to the table when it leaves the stack. The table holds the loops' memory (stabilization
   * windows, backoffs, leases, the control-plane swap state), so it is kept by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection: a `DeleteTable` call fails until it is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Days of continuous backups kept by point-in-time recovery (1–35).
   * @default 35
   */
  readonly pointInTimeRecoveryDays?: number;
}

/**
 * The single state table of one account and region (`pk = cluster#<cluster>`, `sk` by kind, TTL on
 * `expiresAt`; the layout lives in `shared/adapters/dynamodb/table.ts`).
 *
 * On-demand billing (load follows the clusters' ticks), point-in-time recovery, deletion protection and
 * RETAIN. Encryption at rest uses the AWS managed key `aws/dynamodb`: the items are operational state
 * (recommendation history, backoffs, leases, audit records), not secrets, and a customer managed key
 * would add a key policy to get right, a KMS grant on every function role and a monthly key charge
 * without protecting anything the AWS managed key does not; it still gives KMS encryption with key use
 * visible in CloudTrail, which the default AWS owned key does not.
 *
 * @example
 * const table = new StateTable(stack, 'State');
 * table.grantClusterReadWrite(fn, 'kube-prod-1'); // only items with pk = cluster#kube-prod-1
 */
export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: STATE_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATE_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: STATE_TABLE.timeToLiveAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: true,
        recoveryPeriodInDays: props.pointInTimeRecoveryDays ?? 35,
      },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  get tableArn(): string {
    return this.table.tableArn;
  }

  /**
   * Lets `grantee` read and write the items of one cluster's partition and nothing else: the actions in
   * `STATE_TABLE_ACTIONS` on this table's ARN (no index, no stream), with `dynamodb:LeadingKeys`
   * restricted to `cluster#<cluster>`.
   */
  grantClusterReadWrite(grantee: iam.IGrantable, cluster: string): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...STATE_TABLE_ACTIONS],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [clusterKey(cluster)] } },
    });
  }
}
