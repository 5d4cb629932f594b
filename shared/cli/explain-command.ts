import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { explainHpa, renderExplanation } from '../hpa/explain';

export function registerExplainCommand(program: Command): void {
  const hpa = program.command('hpa').description('HorizontalPodAutoscaler tools');
  hpa
    .command('explain')
    .description('Compute the desired replicas of one autoscaler and show every intermediate step')
    .argument(
      '<file>',
      'JSON input: autoscaler, scale, pods, pod metrics, metric values (shared/hpa/EXPLAIN.md)',
    )
    .option('--json', 'print the decision as JSON instead of text')
    .action(async (file: string, options: { json?: boolean }) => {
      let document: unknown;
      try {
        document = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        console.error(`${file}: cannot read JSON: ${(error as Error).message}`);
        process.exitCode = 1;
        return;
      }
      const result = explainHpa(document);
      if (!result.ok) {
        for (const problem of result.problems) console.error(`${file}: ${problem.path}: ${problem.message}`);
        process.exitCode = 1;
        return;
      }
      console.log(
        options.json ? JSON.stringify(result.result.decision, null, 2) : renderExplanation(result.result),
      );
    });
}
