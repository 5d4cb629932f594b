/**
 * The report's side-by-side section: each day figure for tideplane's run and the baseline's, their
 * ratio, and what the baseline models (baseline.ts), so a reader can check every assumption behind the
 * numbers. Pure HTML text.
 */
import type { BaselineAssumption } from './baseline';
import type { ComparedFigure } from './day-figures';
import { escapeHtml } from './html-text';

function cell(value: number | undefined, unit: string): string {
  if (value === undefined) return '–';
  const rounded =
    Math.abs(value) >= 100
      ? Math.round(value).toLocaleString('en-GB')
      : String(Math.round(value * 100) / 100);
  return escapeHtml(unit === '' || unit === '×' ? `${rounded}${unit}` : `${rounded} ${unit}`);
}

function ratioCell(figure: ComparedFigure): string {
  if (figure.mustBeZero) {
    const ok = (figure.tideplane ?? 0) === 0 && (figure.baseline ?? 0) === 0;
    return `<td class="${ok ? 'ok' : 'bad'}">${ok ? 'both 0 ✓' : 'must be 0 ✗'}</td>`;
  }
  if (figure.ratio === undefined) return '<td>–</td>';
  const better = figure.ratio < 1 ? 'ok' : figure.ratio > 1 ? 'bad' : '';
  return `<td class="${better}">${figure.ratio.toFixed(2)}</td>`;
}

/**
 * The section: a heading, the figures table and the baseline's assumptions.
 *
 * @example renderReport(result, { extraSections: [renderComparisonSection(compareDays(a, b), BASELINE_MODEL)] })
 */
export function renderComparisonSection(
  figures: readonly ComparedFigure[],
  model: readonly BaselineAssumption[],
): string {
  const rows = figures.map(
    (f) =>
      `<tr><td class="name">${escapeHtml(f.label)}</td><td>${cell(f.tideplane, f.unit)}</td>` +
      `<td>${cell(f.baseline, f.unit)}</td>${ratioCell(f)}</tr>`,
  );
  const assumptions = model.map(
    (a) =>
      `<tr><td class="name">${escapeHtml(a.component)}</td><td class="name wrap">${escapeHtml(a.models)}</td>` +
      `<td class="name wrap">${escapeHtml(a.source)}</td></tr>`,
  );
  return [
    '<h2>tideplane vs upstream defaults</h2>',
    '<p>The same trace and seed, run twice: with tideplane’s policies, and with the baseline below. ' +
      'Lower is better for every figure; the ratio is tideplane ÷ baseline.</p>',
    '<table><thead><tr><th class="name">figure</th><th>tideplane</th><th>baseline</th><th>ratio</th></tr></thead>' +
      `<tbody>${rows.join('')}</tbody></table>`,
    '<h3>What the baseline models</h3>',
    '<table><thead><tr><th class="name">component</th><th class="name">baseline</th><th class="name">source</th></tr></thead>' +
      `<tbody>${assumptions.join('')}</tbody></table>`,
  ].join('\n');
}
