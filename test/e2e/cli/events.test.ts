import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const tideplane = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'shared/cli/main.ts', ...args], { encoding: 'utf8' });

describe('tideplane events', () => {
  it.each([
    ['hpa', ['cluster', 'dryRun', 'ticks', 'autoscaler']],
    ['node-pools', ['cluster', 'dryRun', 'ticks']],
    ['control-plane', ['cluster', 'dryRun', 'ticks', 'clearFailedSwap']],
    ['vpa', ['cluster', 'dryRun', 'ticks']],
  ])('given %s, should print the JSON Schema of its console test event', (name, fields) => {
    const run = tideplane('events', name);
    expect(run.status).toBe(0);
    const schema = JSON.parse(run.stdout) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(fields);
    expect(schema.required).toEqual(['cluster']);
  });

  it('given quotas, should print the event of the account/region job', () => {
    const run = tideplane('events', 'quotas');
    expect(run.status).toBe(0);
    const schema = JSON.parse(run.stdout) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(['quotas', 'dryRun']);
    expect(schema.required).toEqual(['quotas']);
  });

  it('given an unknown function, should name the known ones and exit 1', () => {
    const run = tideplane('events', 'nope');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'unknown function "nope"; known: hpa, node-pools, control-plane, vpa, quotas',
    );
  });
});
