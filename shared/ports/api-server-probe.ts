/**
 * Asks one API server whether it is ready to serve (`GET /readyz` on its own address, not through the
 * load balancer), so a new control-plane instance is trusted only once its API server says so.
 */

export interface ProbeResult {
  ready: boolean;
  /** The HTTP status, when an answer came. */
  status?: number;
  /** Why not ready: the body's failed checks (`etcd failed: ...; ...`), a TLS or connection error, a timeout. */
  detail?: string;
}

export interface ApiServerProbePort {
  /** Never throws: an unreachable server is `{ ready: false, detail }`. */
  readyz(address: string): Promise<ProbeResult>;
}
