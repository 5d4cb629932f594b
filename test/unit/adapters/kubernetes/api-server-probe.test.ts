import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failedChecks,
  HttpsApiServerProbe,
  notReadyDetail,
  parseAddress,
} from '../../../../shared/adapters/kubernetes/api-server-probe';

// The probe against a real kube-apiserver is in test/cluster/api-server-probe.test.ts; here: its parsing,
// and what it does with a server that accepts a connection and never speaks (no API server imitation).

/** A readyz body as kube-apiserver 1.3x writes it when etcd is down (abridged). */
const FAILED_BODY = [
  '[+]ping ok',
  '[+]log ok',
  '[-]etcd failed: reason withheld',
  '[+]etcd-readiness ok',
  '[+]informer-sync ok',
  '[-]poststarthook/start-apiextensions-informers failed: not finished',
  '[+]shutdown ok',
  'readyz check failed',
  '',
].join('\n');

describe('parseAddress', () => {
  it.each([
    ['10.0.1.17', { host: '10.0.1.17', port: 443 }],
    ['10.0.1.17:6443', { host: '10.0.1.17', port: 6443 }],
    ['api.internal.kube-1.example.com', { host: 'api.internal.kube-1.example.com', port: 443 }],
    ['api.internal:8443', { host: 'api.internal', port: 8443 }],
    ['fd00::17', { host: 'fd00::17', port: 443 }],
    ['[fd00::17]', { host: 'fd00::17', port: 443 }],
    ['[fd00::17]:6443', { host: 'fd00::17', port: 6443 }],
    [' 10.0.1.17 ', { host: '10.0.1.17', port: 443 }],
  ])('reads %j', (address, expected) => {
    expect(parseAddress(address, 443)).toEqual(expected);
  });

  it.each(['', ':6443', '10.0.1.17:', '10.0.1.17:http', '10.0.1.17:70000', '10.0.1.17:0', 'a:b:c'])(
    'refuses %j',
    (address) => {
      expect(parseAddress(address, 443)).toBeUndefined();
    },
  );
});

describe('failedChecks / notReadyDetail', () => {
  it("lists the body's failed checks in the server's order", () => {
    expect(failedChecks(FAILED_BODY)).toEqual([
      'etcd failed: reason withheld',
      'poststarthook/start-apiextensions-informers failed: not finished',
    ]);
    expect(notReadyDetail(500, FAILED_BODY)).toBe(
      'etcd failed: reason withheld; poststarthook/start-apiextensions-informers failed: not finished',
    );
  });

  it("given a Status document (401/403), gives the status and the Status's message", () => {
    const forbidden = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'forbidden: User "system:anonymous" cannot get path "/readyz"',
      reason: 'Forbidden',
      code: 403,
    });
    expect(notReadyDetail(403, forbidden)).toBe(
      'HTTP 403: forbidden: User "system:anonymous" cannot get path "/readyz"',
    );
  });

  it('given other text, gives the status and the start of the text on one line', () => {
    expect(notReadyDetail(503, 'Service\n  Unavailable')).toBe('HTTP 503: Service Unavailable');
    expect(notReadyDetail(502, '')).toBe('HTTP 502');
    expect(notReadyDetail(500, 'x'.repeat(1_000)).length).toBeLessThan(400);
  });
});

describe('HttpsApiServerProbe', () => {
  let silent: Server;
  let silentPort = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts TCP and says nothing, like an instance whose API server hangs before the TLS handshake.
    silent = createServer((socket) => {
      sockets.add(socket);
      // Read (and drop) what arrives, so the client's close is seen.
      socket.resume();
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentPort = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('given a server that never answers, gives up at its timeout with ready=false', async () => {
    const probe = new HttpsApiServerProbe({ caPem: '', timeoutMs: 200 });
    expect(await probe.readyz(`127.0.0.1:${silentPort}`)).toEqual({
      ready: false,
      detail: `no answer from 127.0.0.1:${silentPort} within 200 ms`,
    });
  });

  it('closes the connection it gave up on', async () => {
    const probe = new HttpsApiServerProbe({ caPem: '', timeoutMs: 100 });
    await probe.readyz(`127.0.0.1:${silentPort}`);
    await expect.poll(() => sockets.size).toBe(0);
  });

  it('given a malformed address, answers ready=false without a connection', async () => {
    const probe = new HttpsApiServerProbe({ caPem: '' });
    expect(await probe.readyz('10.0.1.17:http')).toEqual({
      ready: false,
      detail: 'not an address: "10.0.1.17:http"',
    });
  });

  it('given a token provider that fails, answers ready=false instead of throwing', async () => {
    const probe = new HttpsApiServerProbe({
      caPem: '',
      token: async () => {
        throw new Error('secret not found');
      },
    });
    expect(await probe.readyz(`127.0.0.1:${silentPort}`)).toEqual({
      ready: false,
      detail: 'no token for the probe: secret not found',
    });
  });

  it('given a token the HTTP layer refuses (a newline), answers ready=false instead of throwing', async () => {
    const probe = new HttpsApiServerProbe({ caPem: '', token: 'abc\ndef', timeoutMs: 200 });
    const result = await probe.readyz(`127.0.0.1:${silentPort}`);
    expect(result.ready).toBe(false);
    expect(result.detail).toMatch(/^cannot probe 127\.0\.0\.1:\d+: .*Authorization/);
  });
});
