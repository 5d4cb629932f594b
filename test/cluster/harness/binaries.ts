/**
 * Finds the kube-apiserver and etcd binaries built by `npm run test-peers`
 * (test/peers/scripts/build.sh), using the same cache layout and version pins.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VERSIONS_FILE = join(REPO_ROOT, 'test', 'peers', 'scripts', 'versions.env');

export interface PeerBinaries {
  kubeApiserver: string;
  etcd: string;
  /** Present only when built with `npm run test-peers -- --all`. */
  kubeScheduler: string | undefined;
  kubeControllerManager: string | undefined;
  kubeVersion: string;
  etcdVersion: string;
}

export class MissingPeerBinaryError extends Error {
  constructor(what: string, path: string, envVar: string) {
    super(
      `${what} not found at ${path}. Build the test peers first with \`npm run test-peers\` ` +
        `(test/peers/scripts/build.sh, see test/peers/README.md), or point ${envVar} at a binary.`,
    );
    this.name = 'MissingPeerBinaryError';
  }
}

function pinnedVersions(): { kube: string; etcd: string } {
  const pins: Record<string, string> = {};
  for (const line of readFileSync(VERSIONS_FILE, 'utf8').split('\n')) {
    const m = /^\s*([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (m?.[1] && m[2]) pins[m[1]] = m[2];
  }
  const kube = process.env.TIDEPLANE_KUBE_VERSION || pins.KUBE_VERSION;
  const etcd = process.env.TIDEPLANE_ETCD_VERSION || pins.ETCD_VERSION;
  if (!kube || !etcd) throw new Error(`${VERSIONS_FILE} must set KUBE_VERSION and ETCD_VERSION`);
  return { kube, etcd };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function peersDir(): string {
  return process.env.TIDEPLANE_PEERS_DIR || join(homedir(), '.cache', 'tideplane-peers');
}

/** Resolves binary paths; throws MissingPeerBinaryError (telling to run `npm run test-peers`). */
export function locatePeerBinaries(): PeerBinaries {
  const versions = pinnedVersions();
  const kubeDir = join(peersDir(), `kube-${versions.kube}`);
  const etcdDir = join(peersDir(), `etcd-${versions.etcd}`);
  const kubeApiserver = process.env.TIDEPLANE_KUBE_APISERVER || join(kubeDir, 'kube-apiserver');
  const etcd = process.env.TIDEPLANE_ETCD || join(etcdDir, 'etcd');
  if (!isExecutable(kubeApiserver)) {
    throw new MissingPeerBinaryError('kube-apiserver', kubeApiserver, 'TIDEPLANE_KUBE_APISERVER');
  }
  if (!isExecutable(etcd)) throw new MissingPeerBinaryError('etcd', etcd, 'TIDEPLANE_ETCD');
  const optional = (env: string | undefined, file: string): string | undefined => {
    const p = env || join(kubeDir, file);
    return isExecutable(p) ? p : undefined;
  };
  return {
    kubeApiserver,
    etcd,
    kubeScheduler: optional(process.env.TIDEPLANE_KUBE_SCHEDULER, 'kube-scheduler'),
    kubeControllerManager: optional(process.env.TIDEPLANE_KUBE_CONTROLLER_MANAGER, 'kube-controller-manager'),
    kubeVersion: versions.kube,
    etcdVersion: versions.etcd,
  };
}
