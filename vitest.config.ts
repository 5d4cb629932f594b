import { defineConfig } from 'vitest/config';

// One project per kind of test bed (see README "Tests"): `npm test` runs everything that needs only
// Node; `npm run test:cluster` runs the suites that start a real kube-apiserver and etcd, and
// `npm run test:peers` those that start moto, Prometheus or InfluxDB; `npm run test:browser` opens the
// simulator's report in Debian's headless Chromium (installed by .ci/run; fails without it).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 30_000 } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000 } },
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 } },
      // Suites against real servers installed by test/peers/scripts: moto's AWS server (PyPI), Prometheus
      // and InfluxDB (Debian).
      {
        test: {
          name: 'peers',
          include: ['test/peers/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
