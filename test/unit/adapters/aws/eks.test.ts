import { Readable } from 'node:stream';
import {
  AccessDeniedException,
  DescribeClusterCommand,
  DescribeUpdateCommand,
  EKSClient,
  InvalidParameterException,
  InvalidRequestException,
  ResourceInUseException,
  ResourceNotFoundException,
  ServerException,
  ThrottlingException,
  UpdateClusterConfigCommand,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsEks, DEFAULT_EKS_TIER } from '../../../../shared/adapters/aws/eks';
import { EksError } from '../../../../shared/ports/eks';

// moto 5.2.5 has no Provisioned Control Plane (`controlPlaneScalingConfig` is neither kept by
// UpdateClusterConfig nor reported by DescribeCluster) and ignores clientRequestToken, so the EKS adapter
// is tested here only: request shapes with aws-sdk-client-mock, and the REST-JSON wire (URL, body, error
// header) through a real client with a recording request handler.

const REGION = 'eu-central-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const client = new EKSClient({ region: REGION, credentials: CREDENTIALS });
const eks = mockClient(client);
const adapter = () => new AwsEks(client);
const $metadata = { httpStatusCode: 400 };

const UPDATE = {
  id: 'b5f0ba18-9a87-4450-b5a0-825e6e84496f',
  status: 'InProgress' as const,
  type: 'ControlPlaneScalingConfigUpdate' as const,
  params: [
    { type: 'PreviousTier' as const, value: 'standard' },
    { type: 'UpdatedTier' as const, value: 'tier-xl' },
  ],
  createdAt: new Date('2025-11-20T10:00:00Z'),
  errors: [],
};

beforeEach(() => {
  eks.reset();
});

describe('AwsEks.describeCluster', () => {
  it("reads the cluster's status and its Provisioned Control Plane tier", async () => {
    eks.on(DescribeClusterCommand).resolves({
      cluster: {
        name: 'kube-1',
        arn: 'arn:aws:eks:eu-central-1:123456789012:cluster/kube-1',
        version: '1.34',
        status: 'ACTIVE',
        controlPlaneScalingConfig: { tier: 'tier-2xl' },
      },
    });
    expect(await adapter().describeCluster('kube-1')).toEqual({
      name: 'kube-1',
      status: 'ACTIVE',
      tier: 'tier-2xl',
    });
    expect(eks.commandCalls(DescribeClusterCommand).map((c) => c.args[0].input)).toEqual([
      { name: 'kube-1' },
    ]);
  });

  it('given a cluster without a scaling config, reports the standard tier', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'kube-1', status: 'UPDATING' } });
    expect(await adapter().describeCluster('kube-1')).toEqual({
      name: 'kube-1',
      status: 'UPDATING',
      tier: DEFAULT_EKS_TIER,
    });
  });

  it('maps an unknown cluster to NotFound', async () => {
    eks
      .on(DescribeClusterCommand)
      .rejects(new ResourceNotFoundException({ $metadata, message: 'No cluster found for name: kube-9.' }));
    await expect(adapter().describeCluster('kube-9')).rejects.toMatchObject({
      name: 'EksError',
      reason: 'NotFound',
      message: 'DescribeCluster: No cluster found for name: kube-9.',
    });
  });
});

describe('AwsEks.updateScalingTier', () => {
  it('sends UpdateClusterConfig with the name, only controlPlaneScalingConfig.tier, and the token', async () => {
    eks.on(UpdateClusterConfigCommand).resolves({ update: UPDATE });
    expect(await adapter().updateScalingTier('kube-1', 'tier-xl', 'kube-1-cp-swap-7')).toEqual({
      id: UPDATE.id,
      status: 'InProgress',
      createdAt: Date.parse('2025-11-20T10:00:00Z'),
      errors: [],
    });
    expect(eks.commandCalls(UpdateClusterConfigCommand).map((c) => c.args[0].input)).toEqual([
      {
        name: 'kube-1',
        controlPlaneScalingConfig: { tier: 'tier-xl' },
        clientRequestToken: 'kube-1-cp-swap-7',
      },
    ]);
  });

  it.each([
    [
      'another update in progress',
      new ResourceInUseException({
        $metadata: { httpStatusCode: 409 },
        message: `Cannot ControlPlaneScalingConfigUpdate because cluster kube-1 currently has update ${UPDATE.id} in progress`,
      }),
      'Busy',
    ],
    [
      'a tier the cluster cannot take',
      new InvalidParameterException({ $metadata, message: 'Unsupported tier: tier-16xl' }),
      'Invalid',
    ],
    [
      'a request refused in this state',
      new InvalidRequestException({ $metadata, message: 'Cluster is not in ACTIVE state' }),
      'Invalid',
    ],
    [
      'an unknown cluster',
      new ResourceNotFoundException({ $metadata, message: 'No cluster found' }),
      'NotFound',
    ],
    [
      'throttling',
      new ThrottlingException({ $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' }),
      'Throttled',
    ],
    [
      'missing permissions',
      new AccessDeniedException({ $metadata: { httpStatusCode: 403 }, message: 'not authorized' }),
      'Forbidden',
    ],
    [
      'a server error',
      new ServerException({ $metadata: { httpStatusCode: 500 }, message: 'oops' }),
      'Unavailable',
    ],
  ])('maps %s to %s', async (_what, error, reason) => {
    eks.on(UpdateClusterConfigCommand).rejects(error);
    const thrown = await adapter()
      .updateScalingTier('kube-1', 'tier-xl', 'kube-1-cp-swap-7')
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EksError);
    expect(thrown).toMatchObject({ reason, message: `UpdateClusterConfig: ${(error as Error).message}` });
    expect((thrown as EksError).cause).toBe(error);
  });

  describe('on the wire', () => {
    interface Sent {
      method: string;
      path: string;
      body: unknown;
    }
    const wireClient = (status: number, headers: Record<string, string>, body: unknown, sent: Sent[]) =>
      new EKSClient({
        region: REGION,
        credentials: CREDENTIALS,
        maxAttempts: 1,
        requestHandler: {
          handle: async (request: { method: string; path: string; body?: unknown }) => {
            sent.push({
              method: request.method,
              path: request.path,
              body: JSON.parse(
                typeof request.body === 'string'
                  ? request.body
                  : Buffer.from(request.body as Uint8Array).toString(),
              ),
            });
            return {
              response: {
                statusCode: status,
                headers: { 'content-type': 'application/json', ...headers },
                body: Readable.from([Buffer.from(JSON.stringify(body))]),
              },
            };
          },
        },
      });

    it('POSTs /clusters/<name>/update-config with the tier and the token in the JSON body', async () => {
      const sent: Sent[] = [];
      const wire = wireClient(
        200,
        {},
        {
          update: {
            id: UPDATE.id,
            status: 'InProgress',
            type: 'ControlPlaneScalingConfigUpdate',
            createdAt: 1763632800,
            errors: [],
          },
        },
        sent,
      );
      const update = await new AwsEks(wire).updateScalingTier('kube-1', 'tier-4xl', 'kube-1-cp-swap-8');
      expect(sent).toEqual([
        {
          method: 'POST',
          path: '/clusters/kube-1/update-config',
          body: { clientRequestToken: 'kube-1-cp-swap-8', controlPlaneScalingConfig: { tier: 'tier-4xl' } },
        },
      ]);
      expect(update).toEqual({ id: UPDATE.id, status: 'InProgress', createdAt: 1763632800_000, errors: [] });
      wire.destroy();
    });

    it("maps EKS's 409 ResourceInUseException to Busy", async () => {
      const wire = wireClient(
        409,
        { 'x-amzn-errortype': 'ResourceInUseException' },
        { message: `Cannot update because cluster kube-1 currently has update ${UPDATE.id} in progress` },
        [],
      );
      await expect(new AwsEks(wire).updateScalingTier('kube-1', 'tier-xl', 't')).rejects.toMatchObject({
        name: 'EksError',
        reason: 'Busy',
      });
      wire.destroy();
    });
  });
});

describe('AwsEks.describeUpdate', () => {
  it('asks for the update by cluster and id and reads its status and errors', async () => {
    eks.on(DescribeUpdateCommand).resolves({
      update: {
        ...UPDATE,
        status: 'Failed',
        errors: [
          {
            errorCode: 'InsufficientFreeAddresses',
            errorMessage: 'Not enough free IPs',
            resourceIds: ['subnet-1'],
          },
          { errorCode: 'Unknown' },
        ],
      },
    });
    expect(await adapter().describeUpdate('kube-1', UPDATE.id)).toEqual({
      id: UPDATE.id,
      status: 'Failed',
      createdAt: Date.parse('2025-11-20T10:00:00Z'),
      errors: ['InsufficientFreeAddresses: Not enough free IPs', 'Unknown'],
    });
    expect(eks.commandCalls(DescribeUpdateCommand).map((c) => c.args[0].input)).toEqual([
      { name: 'kube-1', updateId: UPDATE.id },
    ]);
  });

  it.each(['Successful', 'Cancelled', 'InProgress'] as const)('passes status %s through', async (status) => {
    eks.on(DescribeUpdateCommand).resolves({ update: { ...UPDATE, status } });
    expect((await adapter().describeUpdate('kube-1', UPDATE.id)).status).toBe(status);
  });

  it('given a status EKS does not have today, keeps following the update (InProgress)', async () => {
    eks.on(DescribeUpdateCommand).resolves({
      update: { id: UPDATE.id, status: 'RollingBack' as unknown as 'Failed' },
    });
    expect(await adapter().describeUpdate('kube-1', UPDATE.id)).toEqual({
      id: UPDATE.id,
      status: 'InProgress',
      errors: [],
    });
  });

  it('given an answer without an update, throws Unavailable', async () => {
    eks.on(DescribeUpdateCommand).resolves({});
    await expect(adapter().describeUpdate('kube-1', UPDATE.id)).rejects.toMatchObject({
      name: 'EksError',
      reason: 'Unavailable',
    });
  });

  it('maps an unknown update to NotFound', async () => {
    eks
      .on(DescribeUpdateCommand)
      .rejects(new ResourceNotFoundException({ $metadata, message: 'No update found for ID: nope' }));
    await expect(adapter().describeUpdate('kube-1', 'nope')).rejects.toMatchObject({
      name: 'EksError',
      reason: 'NotFound',
      message: 'DescribeUpdate: No update found for ID: nope',
    });
  });
});
