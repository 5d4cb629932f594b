import type { Command } from 'commander';
import { NARROWEST_NODE_MASK, parseCidr, planNetwork } from '../network/plan';

interface PlanOptions {
  clusterCidr: string;
  nodeMask: string;
  serviceCidr?: string;
  maxPods?: string;
  allowNarrow?: boolean;
}

/** `tideplane network plan`: what a cluster CIDR and node mask allow, next to the neighbouring masks. */
export function registerNetworkCommand(program: Command): void {
  const network = program.command('network').description('Network limits of a cluster');
  network
    .command('plan')
    .description('Addresses per node, max nodes and max pods for a cluster CIDR and node CIDR mask size')
    .requiredOption('--cluster-cidr <cidr>', 'the pod network, e.g. 10.2.0.0/16')
    .requiredOption('--node-mask <bits>', 'node CIDR mask size, e.g. 24')
    .option('--service-cidr <cidr>', 'the service network, when it lies inside the cluster CIDR')
    .option('--max-pods <n>', 'override the computed max pods per node')
    .option('--allow-narrow', 'allow node ranges narrower than /26')
    .action((options: PlanOptions) => {
      const input = {
        clusterCidr: options.clusterCidr,
        nodeCidrMaskSize: Number(options.nodeMask),
        ...(options.serviceCidr ? { serviceCidr: options.serviceCidr } : {}),
        ...(options.maxPods ? { maxPodsPerNode: Number(options.maxPods) } : {}),
        ...(options.allowNarrow ? { allowNarrowNodeCidr: true } : {}),
      };
      const result = planNetwork(input);
      if (!result.ok) {
        for (const problem of result.problems) console.error(problem);
        process.exitCode = 1;
        return;
      }
      const cluster = parseCidr(options.clusterCidr);
      const rows = ['node mask  addresses/node  max pods/node  max nodes  max pods'];
      for (let mask = (cluster?.prefix ?? 0) + 1; mask <= NARROWEST_NODE_MASK; mask++) {
        const row = planNetwork({
          ...input,
          nodeCidrMaskSize: mask,
          allowNarrowNodeCidr: true,
          maxPodsPerNode: undefined,
        });
        if (!row.ok || mask < input.nodeCidrMaskSize - 3 || mask > input.nodeCidrMaskSize + 3) continue;
        const p = mask === input.nodeCidrMaskSize ? result.plan : row.plan;
        const mark = mask === input.nodeCidrMaskSize ? '>' : ' ';
        rows.push(
          `${mark} /${String(mask).padEnd(7)} ${String(p.addressesPerNode).padStart(14)}  ` +
            `${String(p.maxPodsPerNode).padStart(13)}  ${String(p.maxNodes).padStart(9)}  ${String(p.maxPods).padStart(8)}`,
        );
      }
      console.log(`cluster CIDR ${options.clusterCidr}, node ranges /${input.nodeCidrMaskSize} (marked >)`);
      console.log(rows.join('\n'));
      for (const warning of result.plan.warnings) console.log(`warning: ${warning}`);
    });
}
