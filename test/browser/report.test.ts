/**
 * The simulator's report in a real browser (issue 9): a few scenarios run as `tideplane simulate
 * --scenario <name> --hours <h>` runs them, their report.html opened from disk in headless Chromium
 * (Debian's, driven by playwright-core). The page must load nothing from the network and log no error,
 * every chart `reportChartTitles` promises must be on it, titled, laid out, drawn and painted, with no
 * two texts of a chart drawn over each other, and the page must fit the window's width (wide tables
 * scroll in boxes of their own).
 *
 * Fails (does not skip) without Chromium; `npm test` does not run this project, `.ci/run` does
 * (`npm run test:browser`, after installing Debian's chromium). The reports and full-page screenshots
 * stay in TIDEPLANE_BROWSER_ARTIFACTS (default: <tmp>/tideplane-browser/<scenario>/) for a person to look at.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportChartTitles } from '../../shared/sim/report';
import { SCENARIOS } from '../../shared/sim/scenarios/index';
import { launchChromium, type RunningChromium, requireChromium } from './support/chromium';
import {
  type ChartFacts,
  type GuardedPage,
  openGuardedPage,
  type PageFacts,
  type PixelFacts,
  readCharts,
  readPage,
  readPixels,
} from './support/report-page';
import { type SimulatedReport, simulateReport } from './support/simulate';

// At collection, so that a machine without Chromium fails the file at once with what to install.
requireChromium();

const ARTIFACTS = process.env.TIDEPLANE_BROWSER_ARTIFACTS || join(tmpdir(), 'tideplane-browser');

/**
 * Scenarios whose reports together hold every kind of chart the report draws: full-day's first hour, what
 * `npm start` runs, with its baseline and side-by-side table as `npm start` writes them (every loop, 12 of
 * 246 services charted); the cluster's, node pools' and services' (default-day, 12 of its 35 services);
 * quota demand vs limit (quota-limit, into the ramp), the control plane's (control-plane-day) and VPA
 * usage vs request (vpa-day). Hours keep the whole file under a minute of simulation on two cores (41 s measured).
 */
const CASES = [
  { scenario: 'full-day', hours: 1, baseline: true },
  { scenario: 'default-day', hours: 1, baseline: true },
  { scenario: 'quota-limit', hours: 2.5, baseline: false },
  { scenario: 'control-plane-day', hours: 4, baseline: false },
  { scenario: 'vpa-day', hours: 3, baseline: false },
] as const;

/** What a drawn chart has at least: axes, ticks, a series and its legend. */
const MIN_SHAPES = 10;
/**
 * Pixels of a series' colour between the title and the legend. A line across the grid has hundreds; one
 * lying on the x-axis all along (a pool that stayed at 0 nodes) still shows over a hundred.
 */
const MIN_DATA_PIXELS = 50;

let browser: RunningChromium | undefined;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

function context() {
  if (!browser) throw new Error('Chromium did not start');
  return browser.context;
}

/** What is wrong with one chart, in words (empty when nothing is). */
function chartProblems(chart: ChartFacts, dataPixels: number): string[] {
  const problems: string[] = [];
  const name = `"${chart.title}"`;
  if (!chart.inFigure) problems.push(`${name}: not in a <figure>`);
  if (chart.box.width < 100 || chart.box.height < 50)
    problems.push(`${name}: laid out ${chart.box.width}×${chart.box.height} px`);
  if (!(chart.titleBox.width > 0 && chart.titleBox.height > 0)) problems.push(`${name}: title not rendered`);
  if (chart.drawn < MIN_SHAPES) problems.push(`${name}: ${chart.drawn} shapes drawn (< ${MIN_SHAPES})`);
  if (chart.series < 1) problems.push(`${name}: no series in the legend`);
  if (chart.dataMarks < 1) problems.push(`${name}: no line, area or bar of data drawn`);
  if (dataPixels < MIN_DATA_PIXELS)
    problems.push(`${name}: ${dataPixels} pixels of a series' colour (< ${MIN_DATA_PIXELS})`);
  return problems;
}

describe.each(CASES)(
  'the report of $scenario ($hours h) in headless Chromium',
  ({ scenario, hours, baseline }) => {
    let run: SimulatedReport;
    let guarded: GuardedPage;
    let page: PageFacts;
    let charts: ChartFacts[];
    let pixels: PixelFacts;
    let dir: string;

    beforeAll(async () => {
      const make = SCENARIOS[scenario];
      if (!make) throw new Error(`no scenario ${scenario}`);
      run = await simulateReport(make(), hours, { baseline });
      dir = join(ARTIFACTS, scenario);
      await mkdir(dir, { recursive: true });
      const file = join(dir, 'report.html');
      await writeFile(file, run.html);

      guarded = await openGuardedPage(context());
      await guarded.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      page = await readPage(guarded.page);
      charts = await readCharts(guarded.page);
      const png = await guarded.page.screenshot({ fullPage: true, path: join(dir, 'report.png') });
      pixels = await readPixels(
        context(),
        png,
        charts.map((chart) => chart.plotBand),
      );
      console.log(
        `${scenario} (${hours} h, ${run.controllers.join(', ')}): ${charts.length} charts, ` +
          `page ${pixels.width}×${pixels.height} px, fewest shapes ${Math.min(...charts.map((c) => c.drawn))}, ` +
          `fewest data pixels ${Math.min(...pixels.saturated)}, document ${page.scrollWidth} px wide in a ` +
          `${page.viewportWidth} px viewport; ${join(dir, 'report.png')}`,
      );
    }, 240_000);

    afterAll(async () => {
      await guarded?.page.close();
    });

    it('should load nothing from the network, run no script file and log no error', () => {
      expect(guarded.external, 'requests to other hosts (the report must be self-contained)').toEqual([]);
      expect(guarded.requests.every((url) => url.startsWith('file:'))).toBe(true);
      expect(guarded.errors).toEqual([]);
      expect(page.scriptSources).toEqual([]);
      expect(page.loadedResources).toEqual([]);
      expect(page.title).toBe(`tideplane simulation: ${run.result.scenario.name}`);
    });

    it('should have one chart per expected title, in the report order', () => {
      const expected = reportChartTitles(run.result);
      expect(expected.length).toBeGreaterThanOrEqual(4);
      expect(charts.map((chart) => chart.title)).toEqual(expected);
      expect(page.figures).toBe(expected.length);
    });

    it('should draw every chart: laid out, titled, with axes, a legend and data', () => {
      const problems = charts.flatMap((chart, i) => chartProblems(chart, pixels.saturated[i] ?? 0));
      expect(problems).toEqual([]);
    });

    it("should lay out every chart's texts apart: no title over an axis name, no label over another", () => {
      // ECharts laid the SVG out in Node with its own estimate of text widths; the browser draws the texts
      // in its own font (charts.ts CHART_LAYOUT keeps the title in a band of its own).
      const overlaps = charts
        .filter((chart) => chart.overlappingTexts.length > 0)
        .map((chart) => `"${chart.title}": ${chart.overlappingTexts.join('; ')}`);
      expect(overlaps).toEqual([]);
    });

    it('should fit the page in the viewport width: every table scrolls in a box of its own', () => {
      expect(page.tables).toBeGreaterThanOrEqual(baseline ? 5 : 3);
      expect(page.unboxedTables).toBe(0);
      expect(page.viewportWidth).toBeGreaterThan(1000);
      expect(page.scrollWidth).toBeLessThanOrEqual(page.viewportWidth);
      expect(pixels.width).toBeLessThanOrEqual(page.viewportWidth + 20);
      if (baseline) expect(run.html).toContain('<h2>tideplane vs upstream defaults</h2>');
    });

    it('should paint the page: a full-page screenshot that is not blank', () => {
      expect(pixels.width).toBeGreaterThan(800);
      const lowest = Math.max(...charts.map((chart) => chart.box.y + chart.box.height));
      expect(pixels.height).toBeGreaterThanOrEqual(Math.floor(lowest));
      expect(pixels.colours).toBeGreaterThan(50);
      expect(pixels.nonBackground).toBeGreaterThan(0.02);
    });
  },
);

describe('the network guard', () => {
  it('should catch a page that loads a script and an image from another host', async () => {
    const dir = join(ARTIFACTS, 'guard');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'leaky.html');
    await writeFile(
      file,
      '<!DOCTYPE html><html><head><script src="https://cdn.example.com/chart.js"></script></head>' +
        '<body><img src="http://example.com/logo.png" alt=""></body></html>',
    );
    const guarded = await openGuardedPage(context());
    try {
      await guarded.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const facts = await readPage(guarded.page);
      expect(guarded.external.sort()).toEqual([
        'http://example.com/logo.png',
        'https://cdn.example.com/chart.js',
      ]);
      expect(facts.scriptSources).toEqual(['https://cdn.example.com/chart.js']);
      // The aborted script shows as a console error: the check for errors would catch it too.
      expect(guarded.errors.length).toBeGreaterThan(0);
    } finally {
      await guarded.page.close();
    }
  });
});
