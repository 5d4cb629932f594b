/**
 * What every loop function builds once per cold start: its cluster's config from the environment, the
 * state store, the Secrets Manager client; and the cluster connection each builds lazily on its first
 * invocation that needs it (an invalid event never touches the cluster or its secrets).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDbStateStore } from '../adapters/dynamodb/state-store';
import { type ClusterConnection, connectCluster } from '../adapters/kubernetes/credentials';
import type { ResolvedCluster } from '../config/load';
import type { Logger } from '../ports/logger';
import { readFunctionEnvironment } from './function-environment';
import { systemClock } from './system-clock';

export interface ClusterWiring {
  config: ResolvedCluster;
  region: string;
  state: DynamoDbStateStore;
  secretsManager: SecretsManagerClient;
}

/** Reads the function's environment and builds the clients every loop uses. */
export function clusterWiring(env = readFunctionEnvironment()): ClusterWiring {
  return {
    config: env.config,
    region: env.region,
    state: new DynamoDbStateStore({
      client: new DynamoDBClient({ region: env.region }),
      tableName: env.tableName,
      clock: systemClock,
    }),
    secretsManager: new SecretsManagerClient({ region: env.region }),
  };
}

/** Connects to the cluster with its configured credentials; Events name the function as reporter. */
export function connectWiredCluster(
  wiring: ClusterWiring,
  functionName: string,
  logger: Logger,
): Promise<ClusterConnection> {
  return connectCluster(wiring.config.cluster.access, {
    region: wiring.config.region,
    secretsManager: wiring.secretsManager,
    clock: systemClock,
    logger,
    adapter: { reportingInstance: functionName },
  });
}
