import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ClusterLoopFunction, type ClusterLoopFunctionOptions } from './cluster-loop-function';

/** The VPA handler. */
export const VPA_HANDLER_ENTRY = fileURLToPath(new URL('../../functions/vpa/handler.ts', import.meta.url));

/** Powertools service name of the VPA function's logs and metrics (the handler names it too). */
export const VPA_SERVICE_NAME = 'tideplane-vpa';

export interface ClusterVpaFunctionProps extends ClusterLoopFunctionOptions {
  /** @default functions/vpa/handler.ts of this repository */
  readonly entry?: string;
  /** @default 512 (one tick lists the cluster's pods and pod metrics and decodes every checkpoint) */
  readonly memorySize?: number;
  /** @default Duration.seconds(70) */
  readonly timeout?: Duration;
}

/**
 * The VPA loop's Lambda function for one cluster: a `ClusterLoopFunction` (role, log group, alarms, VPC
 * attachment, cluster secret and state partition) and nothing more in AWS: everything it changes is in
 * the cluster (VPA status, workload pod templates), allowed by the tideplane ClusterRole.
 *
 * @example
 * const vpa = new ClusterVpaFunction(this, 'Vpa', { cluster: resolved, table });
 */
export class ClusterVpaFunction extends ClusterLoopFunction {
  constructor(scope: Construct, id: string, props: ClusterVpaFunctionProps) {
    super(scope, id, {
      ...props,
      entry: props.entry ?? VPA_HANDLER_ENTRY,
      loop: 'VPA',
      configSections: ['vpa'],
      serviceName: VPA_SERVICE_NAME,
    });
  }
}
