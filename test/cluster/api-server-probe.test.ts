/**
 * The readyz probe against a real kube-apiserver: TLS verified against the cluster CA for the address
 * or the given servername, anonymous and token access, and the failures a swap must tell apart (a
 * wrong CA, a name the certificate does not carry, nothing listening, RBAC refusing the probe).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedChecks, HttpsApiServerProbe } from '../../shared/adapters/kubernetes/api-server-probe';
import { createCertificateAuthority, startTestCluster, type TestCluster } from './harness';

/** A port nothing listens on: bound, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('HttpsApiServerProbe against kube-apiserver', () => {
  let cluster: TestCluster;
  /** `127.0.0.1:<port>`, as the swap passes an instance's private IP and the API port. */
  let address: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ manifestsDir: false, metricsApis: false, bindTideplaneRole: false });
    address = new URL(cluster.server).host;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('given the cluster CA, finds the API server ready (anonymous, as a default kube-apiserver allows)', async () => {
    expect(await new HttpsApiServerProbe({ caPem: cluster.caPem }).readyz(address)).toEqual({
      ready: true,
      status: 200,
    });
  });

  it('given the API DNS name as servername, verifies the certificate for that name while dialling the IP', async () => {
    const probe = new HttpsApiServerProbe({ caPem: cluster.caPem, servername: 'kubernetes.default.svc' });
    expect(await probe.readyz(address)).toEqual({ ready: true, status: 200 });
  });

  it('given a servername the certificate does not carry, is not ready and says so', async () => {
    const probe = new HttpsApiServerProbe({ caPem: cluster.caPem, servername: 'api.elsewhere.example.com' });
    const result = await probe.readyz(address);
    expect(result.ready).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.detail).toMatch(/^TLS with 127\.0\.0\.1:\d+ failed: ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(result.detail).toContain('api.elsewhere.example.com');
  });

  it('given another CA, is not ready with the TLS verification error', async () => {
    const other = createCertificateAuthority('not-the-cluster-ca');
    const result = await new HttpsApiServerProbe({ caPem: other.cert }).readyz(address);
    expect(result.ready).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.detail).toMatch(/^TLS with 127\.0\.0\.1:\d+ failed: /);
    // The harness serves its leaf alone; a server that sent the chain would fail on the chain's root.
    expect(result.detail).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it('given a port nothing listens on, is not ready with the connection error', async () => {
    const port = await closedPort();
    const result = await new HttpsApiServerProbe({ caPem: cluster.caPem }).readyz(`127.0.0.1:${port}`);
    expect(result).toEqual({
      ready: false,
      detail: expect.stringMatching(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`)),
    });
  });

  it("reads a ready server's verbose body as no failed checks (the format the parser relies on)", async () => {
    const response = await cluster.client(cluster.adminToken).request<string>('GET', '/readyz', {
      query: { verbose: 'true' },
      headers: { accept: 'text/plain' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/^\[\+\]etcd ok$/m);
    expect(failedChecks(response.body)).toEqual([]);
  });

  describe('with anonymous readyz taken away (the RBAC of clusters that lock it down)', () => {
    beforeAll(async () => {
      // system:public-info-viewer grants /readyz to system:unauthenticated; kube-apiserver restores it
      // only at its next start, so the rest of this file sees anonymous requests refused.
      await cluster
        .client(cluster.adminToken)
        .delete('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:public-info-viewer');
    });

    it("is not ready with kube-apiserver's 403 and its message", async () => {
      const result = await new HttpsApiServerProbe({ caPem: cluster.caPem }).readyz(address);
      expect(result).toEqual({
        ready: false,
        status: 403,
        detail: expect.stringMatching(
          /^HTTP 403: forbidden: User "system:anonymous" cannot get path "\/readyz"/,
        ),
      });
    });

    it('given a token (static or from a provider), is ready', async () => {
      const staticToken = new HttpsApiServerProbe({ caPem: cluster.caPem, token: cluster.adminToken });
      expect(await staticToken.readyz(address)).toEqual({ ready: true, status: 200 });
      const provided = new HttpsApiServerProbe({
        caPem: cluster.caPem,
        token: async () => cluster.adminToken,
      });
      expect(await provided.readyz(address)).toEqual({ ready: true, status: 200 });
    });

    it('given a token the server does not know, is not ready with its 401', async () => {
      const result = await new HttpsApiServerProbe({ caPem: cluster.caPem, token: 'not-a-token' }).readyz(
        address,
      );
      expect(result).toMatchObject({ ready: false, status: 401, detail: expect.stringMatching(/^HTTP 401/) });
    });
  });
});
