/**
 * The last step of `npm run bench`: the headline figures of every loop's bench in one table.
 */
import { takeFigures } from './figures';

const loops = takeFigures();
const rows = loops.flatMap(({ loop, figures }) =>
  figures.map((f) => [loop, f.figure, f.value, f.goal ?? '']),
);
const header = ['loop', 'figure', 'value', 'goal'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
console.log('Per-loop figures (npm run bench)');
for (const row of [header, ...rows]) console.log(`  ${line(row)}`);
