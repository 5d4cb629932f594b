/**
 * EKS bearer tokens minted in-process, as `aws eks get-token` and aws-iam-authenticator do: a SigV4
 * presigned STS `GetCallerIdentity` URL whose signed headers include `x-k8s-aws-id: <cluster name>`,
 * base64url-encoded (no padding) behind the `k8s-aws-v1.` prefix. The API server's authenticator
 * replays the URL against STS to learn the caller's IAM identity.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Clock } from '../../ports/clock';
import type { TokenProvider } from './client';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The signed header that binds a token to one cluster. */
export const EKS_CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** X-Amz-Expires of the presigned URL, as the AWS CLI and aws-iam-authenticator set it. */
export const EKS_PRESIGN_EXPIRES_SECONDS = 60;
/** EKS accepts a token for 15 minutes after it was signed (aws-iam-authenticator's validity window). */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;
/** A cached token is replaced this long before it expires (`aws eks get-token` reports 14 minutes). */
export const EKS_TOKEN_REFRESH_MARGIN_MS = 60_000;

/** AWS credentials as the SDK's providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials expire; a token is never cached past it. */
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface EksTokenRequest {
  clusterName: string;
  /** The region of the cluster, whose regional STS endpoint signs the URL. */
  region: string;
  credentials: AwsCredentials;
  /** Signing time, epoch ms. */
  now: number;
}

/** The regional STS host: `sts.<region>.amazonaws.com` (`.amazonaws.com.cn` in China regions). */
export function stsHost(region: string): string {
  return `sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/** RFC 3986 encoding, as SigV4 canonicalises query strings. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Mints one EKS token.
 *
 * @example
 *   const token = await mintEksToken({ clusterName: 'prod', region: 'eu-central-1', credentials, now: clock.now() });
 *   // 'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtY2VudHJhbC0xLmFtYXpvbmF3cy5jb20v...'
 */
export async function mintEksToken({
  clusterName,
  region,
  credentials,
  now,
}: EksTokenRequest): Promise<string> {
  const host = stsHost(region);
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, [EKS_CLUSTER_ID_HEADER]: clusterName },
    },
    { expiresIn: EKS_PRESIGN_EXPIRES_SECONDS, signingDate: new Date(now) },
  );
  const query = Object.entries(presigned.query ?? {})
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => `${rfc3986(key)}=${rfc3986(String(v ?? ''))}`),
    )
    .sort()
    .join('&');
  const url = `https://${host}/?${query}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

export interface EksTokenProviderOptions {
  clusterName: string;
  region: string;
  credentials: AwsCredentialsProvider;
  clock: Clock;
}

/** A `TokenProvider` that caches its token and can be told to drop it (after a 401). */
export interface CachingTokenProvider extends TokenProvider {
  invalidate(): void;
}

/**
 * Mints EKS tokens on demand and reuses each until `EKS_TOKEN_REFRESH_MARGIN_MS` before it (or the
 * credentials that signed it) expires. Concurrent callers share one minting.
 */
export function createEksTokenProvider(options: EksTokenProviderOptions): CachingTokenProvider {
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;
  const mint = async (): Promise<string> => {
    const credentials = await options.credentials();
    const now = options.clock.now();
    const token = await mintEksToken({
      clusterName: options.clusterName,
      region: options.region,
      credentials,
      now,
    });
    const expiresAt = Math.min(
      now + EKS_TOKEN_LIFETIME_MS,
      credentials.expiration ? credentials.expiration.getTime() : Number.POSITIVE_INFINITY,
    );
    cached = { token, refreshAt: expiresAt - EKS_TOKEN_REFRESH_MARGIN_MS };
    return token;
  };
  const provider = async (): Promise<string> => {
    if (cached && options.clock.now() < cached.refreshAt) return cached.token;
    inFlight ??= mint().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  return Object.assign(provider, {
    invalidate: () => {
      cached = undefined;
    },
  });
}
