import type { Command } from 'commander';
import { ACCOUNT_LIMIT_DEFAULTS, accountFootprints } from '../config/account-footprint';
import { loadConfigFile, resolveClusters } from '../config/load';

/** How a count stands against an account limit's default, for the validate listing. */
function againstDefault(count: number, limit: number, quotaName: string): string {
  const numbers = `${count.toLocaleString('en')} of the default ${limit.toLocaleString('en')}`;
  if (count > limit) return `${numbers}: over it, raise "${quotaName}" in Service Quotas before deploying`;
  if (count >= 0.8 * limit) return `${numbers}: near it, other stacks of the account count too`;
  return numbers;
}

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
      // The stacks' share of account limits that a deploy would otherwise only meet part-way through.
      for (const account of accountFootprints(result.config)) {
        const label = account.name ? `${account.name} (${account.accountId})` : account.accountId;
        console.log(
          `account ${label}: IAM roles ${againstDefault(account.iamRoles, ACCOUNT_LIMIT_DEFAULTS.iamRoles, 'Roles per account')}`,
        );
        for (const region of account.regions) {
          console.log(
            `  ${region.region}: EventBridge rules on the default bus ${againstDefault(region.eventBusRules, region.eventBusRulesDefault, 'Rules per event bus')}`,
          );
        }
      }
    });
}
