import { describe, expect, it } from 'vitest';
import { readFunctionEnvironment, reusable } from '../../../shared/runtime/function-environment';

const cluster = {
  accountId: '123456789012',
  region: 'eu-central-1',
  cluster: {
    name: 'kube-1',
    access: { kind: 'eks', clusterName: 'kube-1', endpoint: 'https://x.example', caData: 'Y2E=' },
  },
  hpa: {},
};

describe('readFunctionEnvironment', () => {
  it('given the environment the stack sets, should return the table, region and validated cluster', () => {
    const env = readFunctionEnvironment({
      TIDEPLANE_TABLE: 'state',
      AWS_REGION: 'eu-central-1',
      TIDEPLANE_CLUSTER: JSON.stringify(cluster),
    });
    expect(env.tableName).toBe('state');
    expect(env.region).toBe('eu-central-1');
    expect(env.config.cluster.name).toBe('kube-1');
    expect(env.config.hpa.intervalSeconds).toBe(15);
  });

  it('given a cluster config that does not validate, should name the field', () => {
    const broken = { ...cluster, cluster: { ...cluster.cluster, name: 'Kube_1' } };
    expect(() =>
      readFunctionEnvironment({
        TIDEPLANE_TABLE: 'state',
        AWS_REGION: 'eu-central-1',
        TIDEPLANE_CLUSTER: JSON.stringify(broken),
      }),
    ).toThrow(/^TIDEPLANE_CLUSTER is not a valid cluster config: cluster\.name: /);
  });

  it('given no table, should refuse to start', () => {
    expect(() => readFunctionEnvironment({ AWS_REGION: 'eu-central-1' })).toThrow(/TIDEPLANE_TABLE/);
  });
});

describe('reusable', () => {
  it('should connect once while it works, and again after a failure', async () => {
    let attempts = 0;
    const connect = reusable(async () => {
      attempts++;
      if (attempts === 1) throw new Error('secret not readable yet');
      return { attempt: attempts };
    });
    await expect(connect()).rejects.toThrow('secret not readable yet');
    expect(await connect()).toEqual({ attempt: 2 });
    expect(await connect()).toEqual({ attempt: 2 });
    expect(attempts).toBe(2);
  });
});
