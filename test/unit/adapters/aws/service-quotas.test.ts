import { Readable } from 'node:stream';
import {
  AccessDeniedException,
  DependencyAccessDeniedException,
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  IllegalArgumentException,
  InvalidPaginationTokenException,
  InvalidResourceStateException,
  ListRequestedServiceQuotaChangeHistoryByQuotaCommand,
  ListServiceQuotasCommand,
  NoSuchResourceException,
  QuotaExceededException,
  type RequestedServiceQuotaChange,
  RequestServiceQuotaIncreaseCommand,
  ResourceAlreadyExistsException,
  ServiceException,
  type ServiceQuota,
  ServiceQuotasClient,
  TooManyRequestsException,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AUTO_SCALING_CLIENT_RETRY,
  AUTO_SCALING_MAX_ATTEMPTS,
} from '../../../../shared/adapters/aws/auto-scaling';
import { AwsServiceQuotas, MAX_PAGES, MAX_RESULTS } from '../../../../shared/adapters/aws/service-quotas';
import { type QuotaRequest, ServiceQuotasError } from '../../../../shared/ports/service-quotas';
import { confirmQuotaCodes } from '../../../../shared/quotas/confirm-codes';
import { EC2_VCPU_QUOTAS } from '../../../../shared/quotas/ec2-vcpu-quotas';
import { newestRequest, type RequestView } from '../../../../shared/quotas/request-record';

// moto 5.2.5 serves only GetServiceQuota (for vpc) of these calls, so the rest of the adapter is tested
// here: request shapes and error mapping with aws-sdk-client-mock, and the JSON 1.1 wire (target header,
// error type, epoch-second timestamps, the SDK's retries) through a real client with a recording handler.

const REGION = 'eu-central-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const client = new ServiceQuotasClient({ region: REGION, credentials: CREDENTIALS });
const serviceQuotas = mockClient(client);
const adapter = () => new AwsServiceQuotas(client);
const $metadata = { httpStatusCode: 400 };

/** `L-1216C47A` as ListServiceQuotas and GetServiceQuota return it in an account. */
const ON_DEMAND_STANDARD: ServiceQuota = {
  ServiceCode: 'ec2',
  ServiceName: 'Amazon Elastic Compute Cloud (Amazon EC2)',
  QuotaArn: 'arn:aws:servicequotas:eu-central-1:123456789012:ec2/L-1216C47A',
  QuotaCode: 'L-1216C47A',
  QuotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
  Value: 320,
  Unit: 'None',
  Adjustable: true,
  GlobalQuota: false,
  UsageMetric: {
    MetricNamespace: 'AWS/Usage',
    MetricName: 'ResourceCount',
    MetricDimensions: { Class: 'Standard/OnDemand', Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
    MetricStatisticRecommendation: 'Maximum',
  },
  Period: { PeriodValue: 5, PeriodUnit: 'MINUTE' },
  QuotaAppliedAtLevel: 'ACCOUNT',
};

const SPOT_STANDARD: ServiceQuota = {
  ...ON_DEMAND_STANDARD,
  QuotaArn: 'arn:aws:servicequotas:eu-central-1:123456789012:ec2/L-34B43A08',
  QuotaCode: 'L-34B43A08',
  QuotaName: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests',
  Value: 640,
  UsageMetric: {
    ...ON_DEMAND_STANDARD.UsageMetric,
    MetricDimensions: { Class: 'Standard/Spot', Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
  },
};

/** A quota without a usage metric and not adjustable. */
const EIPS_PER_NAT: ServiceQuota = {
  ServiceCode: 'ec2',
  QuotaCode: 'L-A1B2C3D4',
  QuotaName: 'Elastic IP addresses per NAT gateway',
  Value: 2,
  Unit: 'None',
  Adjustable: false,
  GlobalQuota: false,
};

/** A request as ListRequestedServiceQuotaChangeHistoryByQuota lists it. */
function change(extra: Partial<RequestedServiceQuotaChange>): RequestedServiceQuotaChange {
  return {
    Id: 'd187537d15254312a9609aa51bbf7624u7W49tPO',
    ServiceCode: 'ec2',
    ServiceName: 'Amazon Elastic Compute Cloud (Amazon EC2)',
    QuotaCode: 'L-1216C47A',
    QuotaName: ON_DEMAND_STANDARD.QuotaName,
    DesiredValue: 1296,
    Status: 'CASE_OPENED',
    Created: new Date('2026-01-05T06:00:12.345Z'),
    LastUpdated: new Date('2026-01-05T06:01:00.000Z'),
    Requester:
      '{"accountId":"123456789012","callerArn":"arn:aws:sts::123456789012:assumed-role/tideplane-quotas/x"}',
    QuotaArn: ON_DEMAND_STANDARD.QuotaArn,
    GlobalQuota: false,
    Unit: 'None',
    QuotaRequestedAtLevel: 'ACCOUNT',
    ...extra,
  };
}

beforeEach(() => {
  serviceQuotas.reset();
});

describe('AwsServiceQuotas.listServiceQuotas', () => {
  it('asks for the largest pages, follows NextToken and maps every quota', async () => {
    serviceQuotas
      .on(ListServiceQuotasCommand)
      .resolvesOnce({ Quotas: [ON_DEMAND_STANDARD, SPOT_STANDARD], NextToken: 'page-2' })
      .resolvesOnce({ Quotas: [EIPS_PER_NAT] });
    const quotas = await adapter().listServiceQuotas('ec2');
    expect(serviceQuotas.commandCalls(ListServiceQuotasCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceCode: 'ec2', MaxResults: MAX_RESULTS },
      { ServiceCode: 'ec2', MaxResults: MAX_RESULTS, NextToken: 'page-2' },
    ]);
    expect(quotas).toEqual([
      {
        serviceCode: 'ec2',
        code: 'L-1216C47A',
        name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
        value: 320,
        unit: 'None',
        adjustable: true,
        global: false,
        usageMetric: {
          namespace: 'AWS/Usage',
          name: 'ResourceCount',
          dimensions: { Class: 'Standard/OnDemand', Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
          statistic: 'Maximum',
        },
      },
      expect.objectContaining({ code: 'L-34B43A08', value: 640 }),
      {
        serviceCode: 'ec2',
        code: 'L-A1B2C3D4',
        name: 'Elastic IP addresses per NAT gateway',
        value: 2,
        unit: 'None',
        adjustable: false,
        global: false,
      },
    ]);
  });

  it("gives the quota core's code check what it needs", async () => {
    serviceQuotas.on(ListServiceQuotasCommand).resolves({ Quotas: [ON_DEMAND_STANDARD, SPOT_STANDARD] });
    const checks = confirmQuotaCodes(await adapter().listServiceQuotas('ec2'), EC2_VCPU_QUOTAS);
    expect(checks.filter((c) => c.status === 'confirmed').map((c) => c.code)).toEqual([
      'L-1216C47A',
      'L-34B43A08',
    ]);
  });

  it('given a quota Service Quotas could not read, passes on the reason and no value', async () => {
    serviceQuotas.on(ListServiceQuotasCommand).resolves({
      Quotas: [
        {
          ...EIPS_PER_NAT,
          Value: undefined,
          ErrorReason: {
            ErrorCode: 'DEPENDENCY_THROTTLING_ERROR',
            ErrorMessage: 'EC2 throttled the request',
          },
        },
      ],
    });
    const [quota] = await adapter().listServiceQuotas('ec2');
    expect(quota).not.toHaveProperty('value');
    expect(quota?.errorReason).toBe('DEPENDENCY_THROTTLING_ERROR: EC2 throttled the request');
  });

  it('given tokens that never end, gives up after MAX_PAGES pages', async () => {
    serviceQuotas.on(ListServiceQuotasCommand).resolves({ Quotas: [], NextToken: 'again' });
    await expect(adapter().listServiceQuotas('ec2')).rejects.toMatchObject({
      name: 'ServiceQuotasError',
      reason: 'Unavailable',
    });
    expect(serviceQuotas.commandCalls(ListServiceQuotasCommand)).toHaveLength(MAX_PAGES);
  });

  it.each([
    [
      new NoSuchResourceException({
        $metadata,
        message: 'This service is not available in the current Region.',
      }),
      'NoSuchResource',
    ],
    [new TooManyRequestsException({ $metadata, message: 'Rate exceeded' }), 'Throttled'],
    [
      new AccessDeniedException({
        $metadata,
        message: 'not authorized to perform: servicequotas:ListServiceQuotas',
      }),
      'Forbidden',
    ],
    [new IllegalArgumentException({ $metadata, message: 'Invalid service code' }), 'Invalid'],
    [new InvalidPaginationTokenException({ $metadata, message: 'Invalid token' }), 'Invalid'],
    [
      new ServiceException({ $metadata: { httpStatusCode: 500 }, message: 'Something went wrong.' }),
      'Unavailable',
    ],
  ])('maps %s to %s, naming the service', async (error, reason) => {
    serviceQuotas.on(ListServiceQuotasCommand).rejects(error);
    const thrown = await adapter()
      .listServiceQuotas('ec2')
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ServiceQuotasError);
    expect(thrown).toMatchObject({ reason, message: `ListServiceQuotas ec2: ${error.message}` });
    expect((thrown as ServiceQuotasError).cause).toBe(error);
  });
});

describe('AwsServiceQuotas.getServiceQuota', () => {
  it('given an applied value, answers it from GetServiceQuota alone', async () => {
    serviceQuotas.on(GetServiceQuotaCommand).resolves({ Quota: ON_DEMAND_STANDARD });
    expect(await adapter().getServiceQuota('ec2', 'L-1216C47A')).toMatchObject({
      code: 'L-1216C47A',
      value: 320,
      adjustable: true,
      source: 'applied',
    });
    expect(serviceQuotas.commandCalls(GetServiceQuotaCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' },
    ]);
    expect(serviceQuotas.commandCalls(GetAWSDefaultServiceQuotaCommand)).toHaveLength(0);
  });

  it('given NoSuchResourceException, falls back to GetAWSDefaultServiceQuota and says so', async () => {
    serviceQuotas.on(GetServiceQuotaCommand).rejects(
      new NoSuchResourceException({
        $metadata,
        message: 'The request failed because the specified quota has no applied value.',
      }),
    );
    serviceQuotas.on(GetAWSDefaultServiceQuotaCommand).resolves({
      Quota: {
        ...ON_DEMAND_STANDARD,
        QuotaArn: 'arn:aws:servicequotas:eu-central-1::ec2/L-1216C47A',
        Value: 5,
      },
    });
    const quota = await adapter().getServiceQuota('ec2', 'L-1216C47A');
    expect(quota).toMatchObject({ code: 'L-1216C47A', value: 5, source: 'default' });
    expect(serviceQuotas.commandCalls(GetAWSDefaultServiceQuotaCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' },
    ]);
  });

  it('given a quota neither call knows, throws NoSuchResource from the default call', async () => {
    const missing = new NoSuchResourceException({
      $metadata,
      message: 'The specified resource does not exist.',
    });
    serviceQuotas.on(GetServiceQuotaCommand).rejects(missing);
    serviceQuotas.on(GetAWSDefaultServiceQuotaCommand).rejects(missing);
    await expect(adapter().getServiceQuota('ec2', 'L-00000000')).rejects.toMatchObject({
      name: 'ServiceQuotasError',
      reason: 'NoSuchResource',
      message: 'GetAWSDefaultServiceQuota ec2/L-00000000: The specified resource does not exist.',
    });
  });

  it.each([
    [new TooManyRequestsException({ $metadata, message: 'Rate exceeded' }), 'Throttled'],
    [new AccessDeniedException({ $metadata, message: 'not authorized' }), 'Forbidden'],
    [new IllegalArgumentException({ $metadata, message: 'Invalid quota code' }), 'Invalid'],
    [
      new ServiceException({ $metadata: { httpStatusCode: 500 }, message: 'Something went wrong.' }),
      'Unavailable',
    ],
  ])('maps %s to %s without asking for the default', async (error, reason) => {
    serviceQuotas.on(GetServiceQuotaCommand).rejects(error);
    await expect(adapter().getServiceQuota('ec2', 'L-1216C47A')).rejects.toMatchObject({
      reason,
      message: `GetServiceQuota ec2/L-1216C47A: ${error.message}`,
    });
    expect(serviceQuotas.commandCalls(GetAWSDefaultServiceQuotaCommand)).toHaveLength(0);
  });

  it('maps a failing default call by its own error', async () => {
    serviceQuotas
      .on(GetServiceQuotaCommand)
      .rejects(new NoSuchResourceException({ $metadata, message: 'none' }));
    serviceQuotas
      .on(GetAWSDefaultServiceQuotaCommand)
      .rejects(new TooManyRequestsException({ $metadata, message: 'Rate exceeded' }));
    await expect(adapter().getServiceQuota('ec2', 'L-1216C47A')).rejects.toMatchObject({
      reason: 'Throttled',
      message: 'GetAWSDefaultServiceQuota ec2/L-1216C47A: Rate exceeded',
    });
  });

  it('given an applied quota without a value (a dependency failed), does not pass the default off as applied', async () => {
    serviceQuotas.on(GetServiceQuotaCommand).resolves({
      Quota: {
        ...ON_DEMAND_STANDARD,
        Value: undefined,
        ErrorReason: { ErrorCode: 'DEPENDENCY_SERVICE_ERROR', ErrorMessage: 'EC2 did not answer' },
      },
    });
    const quota = await adapter().getServiceQuota('ec2', 'L-1216C47A');
    expect(quota).toMatchObject({
      source: 'applied',
      errorReason: 'DEPENDENCY_SERVICE_ERROR: EC2 did not answer',
    });
    expect(quota).not.toHaveProperty('value');
    expect(serviceQuotas.commandCalls(GetAWSDefaultServiceQuotaCommand)).toHaveLength(0);
  });
});

describe('AwsServiceQuotas.listRequestedChanges', () => {
  it('asks by quota in the largest pages, follows NextToken and turns Created and LastUpdated into epoch ms', async () => {
    serviceQuotas
      .on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand)
      .resolvesOnce({
        RequestedQuotas: [
          change({
            Id: 'old',
            CaseId: '6780195351',
            Status: 'DENIED',
            DesiredValue: 2000,
            Created: new Date('2025-11-01T08:00:00.000Z'),
            LastUpdated: new Date('2025-11-03T17:30:00.500Z'),
          }),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        RequestedQuotas: [
          change({ Id: 'new', Status: 'PENDING', CaseId: undefined, LastUpdated: undefined }),
        ],
      });
    const requests = await adapter().listRequestedChanges('ec2', 'L-1216C47A');
    expect(
      serviceQuotas
        .commandCalls(ListRequestedServiceQuotaChangeHistoryByQuotaCommand)
        .map((c) => c.args[0].input),
    ).toEqual([
      { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A', MaxResults: MAX_RESULTS },
      { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A', MaxResults: MAX_RESULTS, NextToken: 'page-2' },
    ]);
    expect(requests).toEqual<QuotaRequest[]>([
      {
        requestId: 'old',
        caseId: '6780195351',
        status: 'DENIED',
        desiredValue: 2000,
        createdAt: Date.parse('2025-11-01T08:00:00.000Z'),
        updatedAt: Date.parse('2025-11-03T17:30:00.500Z'),
      },
      {
        requestId: 'new',
        status: 'PENDING',
        desiredValue: 1296,
        createdAt: Date.parse('2026-01-05T06:00:12.345Z'),
      },
    ]);
  });

  it("gives the quota core's request views as they are", async () => {
    serviceQuotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({
      RequestedQuotas: [
        change({ Id: 'a', Status: 'APPROVED', Created: new Date('2025-06-01T00:00:00Z') }),
        change({ Id: 'b', Status: 'CASE_OPENED', Created: new Date('2026-01-05T06:00:00Z') }),
      ],
    });
    const views: RequestView[] = await adapter().listRequestedChanges('ec2', 'L-1216C47A');
    expect(newestRequest(...views)).toMatchObject({ requestId: 'b', status: 'CASE_OPENED' });
  });

  it('given a status AWS adds later, counts it as PENDING so no second request follows', async () => {
    serviceQuotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({
      RequestedQuotas: [change({ Status: 'CASE_ESCALATED' as RequestedServiceQuotaChange['Status'] })],
    });
    const [request] = await adapter().listRequestedChanges('ec2', 'L-1216C47A');
    expect(request).toMatchObject({ status: 'PENDING', unknownStatus: 'CASE_ESCALATED' });
  });

  it('given no requests, answers none', async () => {
    serviceQuotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({});
    expect(await adapter().listRequestedChanges('ec2', 'L-1216C47A')).toEqual([]);
  });

  it.each([
    [new NoSuchResourceException({ $metadata, message: 'no such quota' }), 'NoSuchResource'],
    [new TooManyRequestsException({ $metadata, message: 'Rate exceeded' }), 'Throttled'],
    [new IllegalArgumentException({ $metadata, message: 'bad' }), 'Invalid'],
  ])('maps %s to %s, naming the quota', async (error, reason) => {
    serviceQuotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).rejects(error);
    await expect(adapter().listRequestedChanges('ec2', 'L-1216C47A')).rejects.toMatchObject({
      reason,
      message: `ListRequestedServiceQuotaChangeHistoryByQuota ec2/L-1216C47A: ${error.message}`,
    });
  });
});

describe('AwsServiceQuotas.requestIncrease', () => {
  it('sends service, quota and value only, and answers the new request', async () => {
    serviceQuotas.on(RequestServiceQuotaIncreaseCommand).resolves({
      RequestedQuota: change({ Status: 'PENDING', CaseId: undefined, LastUpdated: undefined }),
    });
    expect(await adapter().requestIncrease('ec2', 'L-1216C47A', 1296)).toEqual({
      requestId: 'd187537d15254312a9609aa51bbf7624u7W49tPO',
      status: 'PENDING',
      desiredValue: 1296,
      createdAt: Date.parse('2026-01-05T06:00:12.345Z'),
    });
    expect(
      serviceQuotas.commandCalls(RequestServiceQuotaIncreaseCommand).map((c) => c.args[0].input),
    ).toEqual([{ ServiceCode: 'ec2', QuotaCode: 'L-1216C47A', DesiredValue: 1296 }]);
  });

  it('passes on the case id when AWS opened the case at once', async () => {
    serviceQuotas
      .on(RequestServiceQuotaIncreaseCommand)
      .resolves({ RequestedQuota: change({ Status: 'CASE_OPENED', CaseId: '6780195351' }) });
    expect(await adapter().requestIncrease('ec2', 'L-1216C47A', 1296)).toMatchObject({
      status: 'CASE_OPENED',
      caseId: '6780195351',
    });
  });

  it.each([
    [
      new ResourceAlreadyExistsException({
        $metadata,
        message: 'A request for this quota is already pending.',
      }),
      'AlreadyOpen',
    ],
    [
      new QuotaExceededException({
        $metadata,
        message:
          'You have exceeded your service quota. To perform the requested action, remove some of the relevant resources, or use Service Quotas to request a service quota increase.',
      }),
      'QuotaExceeded',
    ],
    [
      new IllegalArgumentException({
        $metadata,
        message: 'DesiredValue must be greater than the current value.',
      }),
      'Invalid',
    ],
    [new InvalidResourceStateException({ $metadata, message: 'The quota is not adjustable.' }), 'Invalid'],
    [
      new NoSuchResourceException({ $metadata, message: 'The specified resource does not exist.' }),
      'NoSuchResource',
    ],
    [new TooManyRequestsException({ $metadata, message: 'Rate exceeded' }), 'Throttled'],
    [
      new AccessDeniedException({
        $metadata,
        message: 'not authorized to perform: servicequotas:RequestServiceQuotaIncrease',
      }),
      'Forbidden',
    ],
    [
      new DependencyAccessDeniedException({
        $metadata,
        message: 'Support did not let Service Quotas open a case',
      }),
      'Forbidden',
    ],
    [
      new ServiceException({ $metadata: { httpStatusCode: 500 }, message: 'Something went wrong.' }),
      'Unavailable',
    ],
  ])('maps %s to %s, naming the quota', async (error, reason) => {
    serviceQuotas.on(RequestServiceQuotaIncreaseCommand).rejects(error);
    const thrown = await adapter()
      .requestIncrease('ec2', 'L-1216C47A', 1296)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ServiceQuotasError);
    expect(thrown).toMatchObject({
      reason,
      message: `RequestServiceQuotaIncrease ec2/L-1216C47A: ${error.message}`,
    });
    expect((thrown as ServiceQuotasError).cause).toBe(error);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 0, -5])(
    'refuses desired value %s without a call',
    async (value) => {
      await expect(adapter().requestIncrease('ec2', 'L-1216C47A', value)).rejects.toMatchObject({
        reason: 'Invalid',
      });
      expect(serviceQuotas.commandCalls(RequestServiceQuotaIncreaseCommand)).toHaveLength(0);
    },
  );

  it('given an answer without a request, throws Unavailable', async () => {
    serviceQuotas.on(RequestServiceQuotaIncreaseCommand).resolves({});
    await expect(adapter().requestIncrease('ec2', 'L-1216C47A', 1296)).rejects.toMatchObject({
      reason: 'Unavailable',
    });
  });
});

describe('on the wire (JSON 1.1)', () => {
  interface Sent {
    target: string;
    body: unknown;
  }
  type Answer = { status: number; body: unknown };
  const wireClient = (answers: Answer[], sent: Sent[], retry = false) =>
    new ServiceQuotasClient({
      region: REGION,
      credentials: CREDENTIALS,
      ...(retry ? AUTO_SCALING_CLIENT_RETRY : { maxAttempts: 1 }),
      requestHandler: {
        handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
          // The SDK's JSON body is a Uint8Array whose valueOf warns; decoding reads its bytes.
          const text =
            typeof request.body === 'string'
              ? request.body
              : new TextDecoder().decode(request.body as Uint8Array);
          sent.push({ target: request.headers['x-amz-target'] ?? '', body: JSON.parse(text) });
          const answer = answers[Math.min(sent.length - 1, answers.length - 1)] as Answer;
          return {
            response: {
              statusCode: answer.status,
              headers: { 'content-type': 'application/x-amz-json-1.1' },
              body: Readable.from([Buffer.from(JSON.stringify(answer.body))]),
            },
          };
        },
      },
    });

  it('falls back to the default on a NoSuchResourceException answer', async () => {
    const sent: Sent[] = [];
    const wire = wireClient(
      [
        {
          status: 400,
          body: {
            __type: 'NoSuchResourceException',
            Message: 'The request failed because the specified service does not exist.',
          },
        },
        {
          status: 200,
          body: {
            Quota: {
              ServiceCode: 'ec2',
              QuotaCode: 'L-1216C47A',
              QuotaName: ON_DEMAND_STANDARD.QuotaName,
              Value: 5.0,
              Unit: 'None',
              Adjustable: true,
              GlobalQuota: false,
            },
          },
        },
      ],
      sent,
    );
    expect(await new AwsServiceQuotas(wire).getServiceQuota('ec2', 'L-1216C47A')).toMatchObject({
      value: 5,
      source: 'default',
    });
    expect(sent).toEqual([
      {
        target: 'ServiceQuotasV20190624.GetServiceQuota',
        body: { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' },
      },
      {
        target: 'ServiceQuotasV20190624.GetAWSDefaultServiceQuota',
        body: { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' },
      },
    ]);
    wire.destroy();
  });

  it('reads Created and LastUpdated in epoch seconds with fractions as epoch ms', async () => {
    const sent: Sent[] = [];
    const wire = wireClient(
      [
        {
          status: 200,
          body: {
            RequestedQuotas: [
              {
                Id: 'd187537d15254312a9609aa51bbf7624u7W49tPO',
                CaseId: '6780195351',
                ServiceCode: 'ec2',
                QuotaCode: 'L-1216C47A',
                DesiredValue: 1296.0,
                Status: 'CASE_OPENED',
                Created: 1580446904.067,
                LastUpdated: 1580446953.265,
              },
            ],
          },
        },
      ],
      sent,
    );
    expect(await new AwsServiceQuotas(wire).listRequestedChanges('ec2', 'L-1216C47A')).toEqual([
      {
        requestId: 'd187537d15254312a9609aa51bbf7624u7W49tPO',
        caseId: '6780195351',
        status: 'CASE_OPENED',
        desiredValue: 1296,
        createdAt: 1580446904067,
        updatedAt: 1580446953265,
      },
    ]);
    expect(sent[0]?.target).toBe('ServiceQuotasV20190624.ListRequestedServiceQuotaChangeHistoryByQuota');
    wire.destroy();
  });

  it('sends RequestServiceQuotaIncrease with the value as a JSON number and reads ResourceAlreadyExistsException', async () => {
    const sent: Sent[] = [];
    const wire = wireClient(
      [
        {
          status: 400,
          body: {
            __type: 'ResourceAlreadyExistsException',
            Message: 'The specified resource already exists.',
          },
        },
      ],
      sent,
    );
    await expect(new AwsServiceQuotas(wire).requestIncrease('ec2', 'L-1216C47A', 1296)).rejects.toMatchObject(
      {
        reason: 'AlreadyOpen',
      },
    );
    expect(sent).toEqual([
      {
        target: 'ServiceQuotasV20190624.RequestServiceQuotaIncrease',
        body: { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A', DesiredValue: 1296 },
      },
    ]);
    wire.destroy();
  });

  it('retries TooManyRequestsException as the other adapters do, then reports Throttled', async () => {
    const sent: Sent[] = [];
    const wire = wireClient(
      [{ status: 400, body: { __type: 'TooManyRequestsException', Message: 'Rate exceeded' } }],
      sent,
      true,
    );
    await expect(new AwsServiceQuotas(wire).getServiceQuota('ec2', 'L-1216C47A')).rejects.toMatchObject({
      reason: 'Throttled',
      message: 'GetServiceQuota ec2/L-1216C47A: Rate exceeded',
    });
    expect(sent).toHaveLength(AUTO_SCALING_MAX_ATTEMPTS);
    wire.destroy();
    // The SDK's throttling backoff (jittered, from 500 ms) is real time here.
  }, 15_000);
});
