import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsServiceQuotas } from '../../shared/adapters/aws/service-quotas';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The Service Quotas adapter against moto's server: the JSON 1.1 wire of GetServiceQuota, the one call of
// the port moto 5.2.5 implements, and only for vpc quotas (every other service answers
// NoSuchResourceException). moto lacks ListServiceQuotas, GetAWSDefaultServiceQuota,
// ListRequestedServiceQuotaChangeHistoryByQuota and RequestServiceQuotaIncrease (it answers them with an
// HTML 500); those, the fallback to the default and every error are covered by
// test/unit/adapters/aws/service-quotas.test.ts with aws-sdk-client-mock and a recorded JSON 1.1 wire.

describe('AwsServiceQuotas against moto', () => {
  let moto: MotoServer;
  let client: ServiceQuotasClient;
  let port: AwsServiceQuotas;

  beforeAll(async () => {
    moto = await startMoto();
    client = new ServiceQuotasClient(motoClientConfig(moto));
    port = new AwsServiceQuotas(client);
  });

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('given an adjustable vpc quota, should read its applied value', async () => {
    expect(await port.getServiceQuota('vpc', 'L-F678F1CE')).toEqual({
      serviceCode: 'vpc',
      code: 'L-F678F1CE',
      name: 'VPCs per Region',
      value: 5,
      unit: 'None',
      adjustable: true,
      global: false,
      source: 'applied',
    });
  });

  it('given a quota AWS does not adjust, should say so', async () => {
    expect(await port.getServiceQuota('vpc', 'L-3248932A')).toMatchObject({
      name: 'Characters per VPC endpoint policy',
      value: 20480,
      adjustable: false,
      source: 'applied',
    });
  });
});
