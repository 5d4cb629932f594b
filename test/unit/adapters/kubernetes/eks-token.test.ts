import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AwsCredentials,
  createEksTokenProvider,
  EKS_TOKEN_LIFETIME_MS,
  EKS_TOKEN_REFRESH_MARGIN_MS,
  mintEksToken,
} from '../../../../shared/adapters/kubernetes/eks-token';
import type { Clock } from '../../../../shared/ports/clock';

const credentials: AwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+with=special',
};
const now = Date.UTC(2025, 0, 2, 3, 4, 5);

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const payload = token.slice('k8s-aws-v1.'.length);
  expect(payload).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(payload, 'base64url').toString('utf8'));
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const rfc3986 = (v: string) =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

describe('mintEksToken', () => {
  it('should presign GetCallerIdentity on the regional STS endpoint with the cluster id header signed', async () => {
    const url = decode(
      await mintEksToken({ clusterName: 'prod-eu', region: 'eu-central-1', credentials, now }),
    );

    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.eu-central-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20250102/eu-central-1/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20250102T030405Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    expect(q.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['host', 'x-k8s-aws-id']);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // The cluster id travels as a signed header, never in the URL.
    expect(url.href).not.toContain('prod-eu');
  });

  it('should carry a SigV4 signature that verifies independently for host and x-k8s-aws-id', async () => {
    const url = decode(
      await mintEksToken({ clusterName: 'prod-eu', region: 'eu-central-1', credentials, now }),
    );
    const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
    const canonicalQuery = params
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
      .sort()
      .join('&');
    const canonicalRequest = [
      'GET',
      '/',
      canonicalQuery,
      `host:${url.host}\nx-k8s-aws-id:prod-eu\n`,
      'host;x-k8s-aws-id',
      createHash('sha256').update('').digest('hex'),
    ].join('\n');
    const scope = '20250102/eu-central-1/sts/aws4_request';
    const stringToSign = [
      'AWS4-HMAC-SHA256',
      '20250102T030405Z',
      scope,
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ].join('\n');
    let key = hmac(`AWS4${credentials.secretAccessKey}`, '20250102');
    for (const part of ['eu-central-1', 'sts', 'aws4_request']) key = hmac(key, part);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(hmac(key, stringToSign).toString('hex'));
  });

  it('should bind the token to the cluster: another cluster name gives another signature', async () => {
    const a = decode(await mintEksToken({ clusterName: 'a', region: 'us-east-1', credentials, now }));
    const b = decode(await mintEksToken({ clusterName: 'b', region: 'us-east-1', credentials, now }));
    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'));
  });

  it('should omit the security token for long-term credentials and use .cn hosts in China', async () => {
    const url = decode(
      await mintEksToken({
        clusterName: 'c',
        region: 'cn-north-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
        now,
      }),
    );
    expect(url.host).toBe('sts.cn-north-1.amazonaws.com.cn');
    expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
  });
});

describe('createEksTokenProvider', () => {
  const fakeClock = (start: number): Clock & { advance(ms: number): void } => {
    let t = start;
    return {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
      advance: (ms) => {
        t += ms;
      },
    };
  };

  it('should reuse a token until shortly before it expires, then mint a new one', async () => {
    const clock = fakeClock(now);
    let calls = 0;
    const provider = createEksTokenProvider({
      clusterName: 'prod',
      region: 'eu-west-1',
      clock,
      credentials: async () => {
        calls += 1;
        return credentials;
      },
    });
    const first = await provider();
    const [again, concurrent] = await Promise.all([provider(), provider()]);
    expect(again).toBe(first);
    expect(concurrent).toBe(first);
    expect(calls).toBe(1);

    clock.advance(EKS_TOKEN_LIFETIME_MS - EKS_TOKEN_REFRESH_MARGIN_MS - 1);
    expect(await provider()).toBe(first);
    clock.advance(1);
    const second = await provider();
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get('X-Amz-Date')).toBe('20250102T031805Z');
    expect(calls).toBe(2);
  });

  it('should not cache past the expiry of temporary credentials, and drop the token when invalidated', async () => {
    const clock = fakeClock(now);
    let calls = 0;
    const provider = createEksTokenProvider({
      clusterName: 'prod',
      region: 'eu-west-1',
      clock,
      credentials: async () => {
        calls += 1;
        return { ...credentials, expiration: new Date(clock.now() + 5 * 60_000) };
      },
    });
    await provider();
    clock.advance(4 * 60_000 - 1);
    await provider();
    expect(calls).toBe(1);
    clock.advance(1);
    await provider();
    expect(calls).toBe(2);

    provider.invalidate();
    await provider();
    expect(calls).toBe(3);
  });
});
