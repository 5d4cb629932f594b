import type { Command } from 'commander';
import { loadConfigFile, resolveClusters } from '../config/load';

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Check a deployment config file; prints every problem with its path and exits 1 if any')
    .argument('<file>', 'YAML or JSON deployment config')
    .action(async (file: string) => {
      const result = await loadConfigFile(file);
      if (!result.ok) {
        for (const problem of result.problems) console.error(`${file}: ${problem.path}: ${problem.message}`);
        console.error(`${result.problems.length} problem(s) found`);
        process.exitCode = 1;
        return;
      }
      const clusters = resolveClusters(result.config);
      console.log(`${file}: valid — ${clusters.length} cluster(s)`);
      for (const { accountId, region, cluster } of clusters) {
        const flags = [cluster.enabled ? '' : 'disabled', cluster.dryRun ? 'dry-run' : ''].filter(Boolean);
        console.log(
          `  ${accountId} ${region} ${cluster.name} (${cluster.access.kind})${flags.length ? ` [${flags.join(', ')}]` : ''}`,
        );
      }
    });
}
