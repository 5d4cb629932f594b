/**
 * The world the node-pool e2e tests run in: the simulated cluster and Auto Scaling on a virtual clock,
 * with the real DynamoDB store on dynalite (one per test file), fresh for every test.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { SimCloud } from '../../../shared/sim/cloud';
import { SimCluster } from '../../../shared/sim/cluster';
import { VirtualClock } from '../../../shared/sim/virtual-clock';

export interface SimAwsWorld {
  clock: VirtualClock;
  cluster: SimCluster;
  cloud: SimCloud;
  state: DynamoDbStateStore;
  /** Unique per test, so tests share the table without sharing state. */
  clusterName: string;
}

/**
 * Registers the hooks and returns the world, whose fields are replaced before every test (read them in
 * the tests or in a later `beforeEach`, never at module load).
 */
export function useSimAwsWorld(options: { start: number; seed: number; prefix: string }): SimAwsWorld {
  let dynamo: LocalDynamo | undefined;
  let runs = 0;
  const world = {} as SimAwsWorld;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  beforeEach(() => {
    if (!dynamo) throw new Error('dynalite did not start');
    const clock = new VirtualClock(options.start);
    const cluster = new SimCluster({ clock, seed: options.seed });
    Object.assign(world, {
      clock,
      cluster,
      cloud: new SimCloud({ clock, cluster, seed: options.seed }),
      state: new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock }),
      clusterName: `${options.prefix}-${++runs}`,
    });
  });
  return world;
}
