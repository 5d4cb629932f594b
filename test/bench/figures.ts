/**
 * The benches' headline figures, collected across the `npm run bench` scripts (each runs in its own
 * process) so the last one prints them in one table: each bench records its rows in a file under the
 * temp directory, `bench-summary.ts` prints them all and removes the files.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchFigure {
  figure: string;
  value: string;
  /** What the value should be, when there is a goal. */
  goal?: string;
}

/** Where the benches of one `npm run bench` leave their figures. */
export const BENCH_FIGURES_DIR = join(tmpdir(), 'tideplane-bench-figures');

/**
 * Records a loop's figures for the summary table.
 *
 * @example recordFigures('HPA', [{ figure: 'Kubernetes requests per tick, 1,000 HPAs', value: '4' }]);
 */
export function recordFigures(loop: string, figures: readonly BenchFigure[]): void {
  mkdirSync(BENCH_FIGURES_DIR, { recursive: true });
  const file = `${String(readdirSync(BENCH_FIGURES_DIR).length).padStart(2, '0')}-${loop.replace(/\W+/g, '-')}.json`;
  writeFileSync(join(BENCH_FIGURES_DIR, file), JSON.stringify({ loop, figures }));
}

/** Every recorded loop's figures, in the order the benches ran; the files are removed. */
export function takeFigures(): { loop: string; figures: BenchFigure[] }[] {
  let files: string[];
  try {
    files = readdirSync(BENCH_FIGURES_DIR).sort();
  } catch {
    return [];
  }
  const all = files.map(
    (file) =>
      JSON.parse(readFileSync(join(BENCH_FIGURES_DIR, file), 'utf8')) as {
        loop: string;
        figures: BenchFigure[];
      },
  );
  rmSync(BENCH_FIGURES_DIR, { recursive: true, force: true });
  return all;
}
