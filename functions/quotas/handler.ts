import { Metrics } from '@aws-lambda-powertools/metrics';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SupportClient } from '@aws-sdk/client-support';
import type { Context } from 'aws-lambda';
import { AUTO_SCALING_CLIENT_RETRY, AwsAutoScaling } from '../../shared/adapters/aws/auto-scaling';
import { Ec2Adapter } from '../../shared/adapters/aws/ec2';
import { AwsServiceQuotas } from '../../shared/adapters/aws/service-quotas';
import { AwsSupportCases } from '../../shared/adapters/aws/support-cases';
import { AwsUsageMetrics } from '../../shared/adapters/aws/usage-metrics';
import { DynamoDbStateStore } from '../../shared/adapters/dynamodb/state-store';
import type { QuotaRegion } from '../../shared/config/quota-region';
import { usesSupportApi } from '../../shared/config/quotas';
import type { QuotaLoopDeps } from '../../shared/loops/quota-loop';
import { powertoolsLogger } from '../../shared/runtime/powertools-logger';
import {
  publishQuotaMetrics,
  type QuotaInvocationResponse,
  readQuotaEnvironment,
  runQuotaInvocation,
} from '../../shared/runtime/quota-invocation';
import { systemClock } from '../../shared/runtime/system-clock';

const log = powertoolsLogger('tideplane-quotas');
/** CloudWatch metrics as EMF log lines (no API calls): demand ratios and alarms of the region. */
const metrics = new Metrics({ serviceName: 'tideplane-quotas' });

interface Wiring {
  region: QuotaRegion;
  ports: Omit<QuotaLoopDeps, 'clock' | 'log'>;
}

let wiring: Wiring | undefined;

/**
 * The adapters, once per cold start. The AWS clients talk to the region the function serves; the state
 * table lives where the function runs. The Support API has one endpoint per partition, which the SDK
 * picks from any region of it; it is wired only for a Business or Enterprise plan.
 */
function wire(): Wiring {
  if (wiring) return wiring;
  const env = readQuotaEnvironment();
  const { region } = env;
  const aws = { region: region.region, ...AUTO_SCALING_CLIENT_RETRY };
  const ec2Client = new EC2Client(aws);
  wiring = {
    region,
    ports: {
      serviceQuotas: new AwsServiceQuotas(new ServiceQuotasClient(aws)),
      usage: new AwsUsageMetrics(new CloudWatchClient(aws), systemClock),
      autoScaling: new AwsAutoScaling({ autoScaling: new AutoScalingClient(aws), ec2: ec2Client }),
      ec2: new Ec2Adapter(ec2Client),
      ...(usesSupportApi(region.quotas) ? { support: new AwsSupportCases(new SupportClient(aws)) } : {}),
      state: new DynamoDbStateStore({
        client: new DynamoDBClient({ region: env.functionRegion }),
        tableName: env.tableName,
        clock: systemClock,
      }),
    },
  };
  return wiring;
}

/**
 * The quota function: one per account and region with `quotas`, started daily by EventBridge Scheduler
 * with `{"quotas": "<account id>/<region>"}`, or from the Lambda console with that event and
 * `"dryRun": true` (see README).
 */
export async function handler(event: unknown, context: Context): Promise<QuotaInvocationResponse> {
  const w = wire();
  log.raw.addContext(context);
  const response = await runQuotaInvocation(event, {
    ...w.ports,
    region: w.region,
    clock: systemClock,
    log,
    owner: context.awsRequestId,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  if (!response.ok) {
    log.warn('event refused', { error: response.error });
    return response;
  }
  log.info('invocation done', { status: response.status, summary: response.summary });
  if (response.result) publishQuotaMetrics(metrics, response.result);
  return response;
}
