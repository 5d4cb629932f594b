import { Readable } from 'node:stream';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  HealthUnavailableException,
  InvalidTargetException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AwsLoadBalancing,
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  toTargetState,
} from '../../../../shared/adapters/aws/load-balancing';
import { LoadBalancingError } from '../../../../shared/ports/load-balancing';

const REGION = 'eu-central-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const TG = 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/kube-1-api/73e2d6bc24d8a067';

const client = new ElasticLoadBalancingV2Client({ region: REGION, credentials: CREDENTIALS });
const elb = mockClient(client);
const adapter = () => new AwsLoadBalancing(client);

const healthInputs = () => elb.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input);
const deregisterInputs = () => elb.commandCalls(DeregisterTargetsCommand).map((c) => c.args[0].input);

const serviceError = (name: string, message: string, httpStatusCode = 400) =>
  new ElasticLoadBalancingV2ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message,
  });

beforeEach(() => {
  elb.reset();
});

describe('AwsLoadBalancing.describeTargetHealth', () => {
  it('asks for every target of the group and maps ids, ports, states and reasons', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        {
          Target: { Id: 'i-0old', Port: 443 },
          HealthCheckPort: '443',
          TargetHealth: { State: 'healthy' },
        },
        {
          Target: { Id: 'i-0new', Port: 443 },
          HealthCheckPort: '443',
          TargetHealth: {
            State: 'initial',
            Reason: 'Elb.RegistrationInProgress',
            Description: 'Target registration is in progress',
          },
        },
        {
          Target: { Id: 'i-0gone', Port: 443 },
          TargetHealth: {
            State: 'draining',
            Reason: 'Target.DeregistrationInProgress',
            Description: 'Target deregistration is in progress',
          },
        },
        { Target: { Id: 'i-0sick', Port: 6443 }, TargetHealth: { State: 'unhealthy.draining' } },
        { TargetHealth: { State: 'healthy' } },
      ],
    });
    const health = await adapter().describeTargetHealth(TG);
    expect(healthInputs()).toEqual([{ TargetGroupArn: TG }]);
    expect(health).toEqual([
      { targetId: 'i-0old', port: 443, state: 'healthy' },
      { targetId: 'i-0new', port: 443, state: 'initial', reason: 'Elb.RegistrationInProgress' },
      { targetId: 'i-0gone', port: 443, state: 'draining', reason: 'Target.DeregistrationInProgress' },
      { targetId: 'i-0sick', port: 6443, state: 'draining' },
    ]);
  });

  it('given a state ELBv2 does not have today, counts the target as not serving', () => {
    expect(toTargetState('warming')).toBe('unavailable');
    expect(toTargetState(undefined)).toBe('unavailable');
    expect(toTargetState('unused')).toBe('unused');
  });

  it.each([
    [
      'an unknown group',
      new TargetGroupNotFoundException({
        $metadata: { httpStatusCode: 400 },
        message: 'One or more target groups not found',
      }),
      'NotFound',
    ],
    ['throttling', serviceError('Throttling', 'Rate exceeded'), 'Throttled'],
    ['missing permissions', serviceError('AccessDenied', 'User is not authorized', 403), 'Forbidden'],
    [
      'health unavailable',
      new HealthUnavailableException({ $metadata: { httpStatusCode: 500 }, message: 'internal error' }),
      'Unavailable',
    ],
    [
      'a timeout',
      Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }),
      'Timeout',
    ],
    [
      'a validation error',
      serviceError('ValidationError', "'arn' is not a valid target group ARN"),
      'Invalid',
    ],
  ])('maps %s to %s', async (_what, error, reason) => {
    elb.on(DescribeTargetHealthCommand).rejects(error);
    const thrown = await adapter()
      .describeTargetHealth(TG)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(LoadBalancingError);
    expect(thrown).toMatchObject({ reason, message: `DescribeTargetHealth: ${(error as Error).message}` });
    expect((thrown as LoadBalancingError).cause).toBe(error);
  });

  it('maps the wire code TargetGroupNotFound (query protocol, no Exception suffix) to NotFound', async () => {
    const wire = new ElasticLoadBalancingV2Client({
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      requestHandler: {
        handle: async () => ({
          response: {
            statusCode: 400,
            reason: 'Bad Request',
            headers: { 'content-type': 'text/xml' },
            body: Readable.from([
              Buffer.from(
                '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error>' +
                  '<Type>Sender</Type><Code>TargetGroupNotFound</Code><Message>One or more target groups not found' +
                  '</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
              ),
            ]),
          },
        }),
      },
    });
    await expect(new AwsLoadBalancing(wire).describeTargetHealth(TG)).rejects.toMatchObject({
      name: 'LoadBalancingError',
      reason: 'NotFound',
    });
    wire.destroy();
  });
});

describe('AwsLoadBalancing.deregisterTargets', () => {
  const registered = (...targets: [string, number, string][]) =>
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: targets.map(([Id, Port, State]) => ({
        Target: { Id, Port },
        TargetHealth: { State: State as 'healthy' },
      })),
    });

  it('deregisters the registered instances with the port each was registered on', async () => {
    registered(['i-0old', 443, 'healthy'], ['i-0odd', 6443, 'unused'], ['i-0keep', 443, 'healthy']);
    elb.on(DeregisterTargetsCommand).resolves({});
    await adapter().deregisterTargets(TG, ['i-0old', 'i-0odd']);
    expect(deregisterInputs()).toEqual([
      {
        TargetGroupArn: TG,
        Targets: [
          { Id: 'i-0old', Port: 443 },
          { Id: 'i-0odd', Port: 6443 },
        ],
      },
    ]);
  });

  it('given instances not registered or already draining, sends no DeregisterTargets (idempotent)', async () => {
    registered(['i-0gone', 443, 'draining'], ['i-0keep', 443, 'healthy']);
    await adapter().deregisterTargets(TG, ['i-0gone', 'i-0never']);
    expect(deregisterInputs()).toEqual([]);
  });

  it('given no instances, asks nothing', async () => {
    await adapter().deregisterTargets(TG, []);
    expect(elb.calls()).toHaveLength(0);
  });

  it('given the target vanished between the calls (InvalidTarget), takes it as deregistered', async () => {
    registered(['i-0old', 443, 'healthy']);
    elb.on(DeregisterTargetsCommand).rejects(
      new InvalidTargetException({
        $metadata: { httpStatusCode: 400 },
        message: 'The specified target does not exist or is not in the same VPC as the target group.',
      }),
    );
    await expect(adapter().deregisterTargets(TG, ['i-0old'])).resolves.toBeUndefined();
    expect(deregisterInputs()).toHaveLength(1);
  });

  it.each([
    ['throttling', serviceError('Throttling', 'Rate exceeded'), 'Throttled'],
    ['missing permissions', serviceError('AccessDenied', 'User is not authorized', 403), 'Forbidden'],
    ['a 5xx', serviceError('InternalFailure', 'An internal error occurred', 500), 'Unavailable'],
  ])('maps %s on DeregisterTargets to %s', async (_what, error, reason) => {
    registered(['i-0old', 443, 'healthy']);
    elb.on(DeregisterTargetsCommand).rejects(error);
    await expect(adapter().deregisterTargets(TG, ['i-0old'])).rejects.toMatchObject({
      name: 'LoadBalancingError',
      reason,
      message: `DeregisterTargets: ${(error as Error).message}`,
    });
  });

  it('given an unknown group, throws NotFound from the health lookup', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .rejects(
        new TargetGroupNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'not found' }),
      );
    await expect(adapter().deregisterTargets(TG, ['i-0old'])).rejects.toMatchObject({ reason: 'NotFound' });
    expect(deregisterInputs()).toEqual([]);
  });
});

describe('AwsLoadBalancing.deregistrationDelaySeconds', () => {
  it("reads the group's deregistration_delay.timeout_seconds", async () => {
    elb.on(DescribeTargetGroupAttributesCommand).resolves({
      Attributes: [
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'deregistration_delay.timeout_seconds', Value: '45' },
        { Key: 'deregistration_delay.connection_termination.enabled', Value: 'false' },
      ],
    });
    expect(await adapter().deregistrationDelaySeconds(TG)).toBe(45);
    expect(elb.commandCalls(DescribeTargetGroupAttributesCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: TG },
    ]);
  });

  it.each([
    ['absent', []],
    ['empty', [{ Key: 'deregistration_delay.timeout_seconds', Value: '' }]],
    ['not a number', [{ Key: 'deregistration_delay.timeout_seconds', Value: 'soon' }]],
    ['negative', [{ Key: 'deregistration_delay.timeout_seconds', Value: '-1' }]],
  ])("given the attribute %s, answers ELBv2's default", async (_what, Attributes) => {
    elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes });
    expect(await adapter().deregistrationDelaySeconds(TG)).toBe(DEFAULT_DEREGISTRATION_DELAY_SECONDS);
  });

  it('given zero, answers zero (no delay is a valid setting)', async () => {
    elb.on(DescribeTargetGroupAttributesCommand).resolves({
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }],
    });
    expect(await adapter().deregistrationDelaySeconds(TG)).toBe(0);
  });

  it('maps an unknown group to NotFound', async () => {
    elb
      .on(DescribeTargetGroupAttributesCommand)
      .rejects(
        new TargetGroupNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'not found' }),
      );
    await expect(adapter().deregistrationDelaySeconds(TG)).rejects.toMatchObject({
      name: 'LoadBalancingError',
      reason: 'NotFound',
      message: 'DescribeTargetGroupAttributes: not found',
    });
  });
});
