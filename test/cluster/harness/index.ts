/**
 * Test harness for suites that need a real Kubernetes API server: see test/peers/README.md.
 *
 *   const cluster = await startTestCluster();
 *   ...
 *   await cluster.stop();
 */
export { locatePeerBinaries, MissingPeerBinaryError, type PeerBinaries, peersDir } from './binaries';
export {
  DEFAULT_CONTROLLERS,
  type KubeObject,
  parseManifests,
  startTestCluster,
  type TestCluster,
  type TestClusterOptions,
} from './cluster';
export { KubeApiError, KubeHttp, type KubeResponse, type RequestOptions } from './kube-http';
export { type LabelSelector, type Labels, parseLabelSelector } from './label-selector';
export {
  type ContainerUsage,
  type ExternalMetricValue,
  formatQuantity,
  METRICS_GROUPS,
  type MetricOptions,
  MetricsApiServer,
  type MetricsApiServerOptions,
  type ObjectReference,
  type Quantity,
  type RecordedRequest,
} from './metrics-api-server';
export { createCertificateAuthority, issueCertificate } from './pki';
