/**
 * What a test reads off a report page in Chromium: every request the page made (any to a host other than
 * this machine is aborted and remembered), console errors, scripts, each SVG chart as laid out (title,
 * size, shapes drawn, data marks), and pixels of a screenshot, decoded by the browser itself (a canvas),
 * so no PNG library is needed.
 */
import type { BrowserContext, Page } from 'playwright-core';

/*
 * The browser's globals that the functions run in the page use. The project's tsconfig has no "dom" lib
 * on purpose (everything else runs in Node, where `document` must not type-check), so the page functions
 * read them from `globalThis` through these few types.
 */
interface DomRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}
interface DomElement {
  textContent: string | null;
  getBoundingClientRect(): DomRect;
  closest(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement> & { length: number };
  hasAttribute(name: string): boolean;
  parentElement: DomElement | null;
  getAttribute(name: string): string | null;
}
interface Canvas2d {
  drawImage(image: unknown, x: number, y: number): void;
  getImageData(
    x: number,
    y: number,
    width: number,
    height: number,
  ): {
    data: Uint8ClampedArray;
    width: number;
    height: number;
  };
}
interface PageGlobals {
  document: DomElement & {
    title: string;
    documentElement: DomElement & { scrollWidth: number; clientWidth: number };
  };
  innerWidth: number;
  scrollX: number;
  scrollY: number;
  getComputedStyle(element: DomElement): {
    fill: string;
    fillOpacity: string;
    stroke: string;
    strokeWidth: string;
    visibility: string;
    display: string;
    overflowX: string;
  };
  createImageBitmap(blob: Blob): Promise<{ width: number; height: number }>;
  OffscreenCanvas: new (width: number, height: number) => { getContext(kind: '2d'): Canvas2d | null };
}

/** True for URLs that stay on this machine: files, inline data, and HTTP(S) to a loopback host. */
export function isLocalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (['file:', 'data:', 'blob:', 'about:'].includes(parsed.protocol)) return true;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  return ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
}

export interface GuardedPage {
  page: Page;
  /** Every request the page made, in order. */
  requests: string[];
  /** Requests to another host, aborted before they left. */
  external: string[];
  /** Console messages of type error, and uncaught exceptions. */
  errors: string[];
}

/** Opens a page that aborts and records every request off this machine, and records errors. */
export async function openGuardedPage(context: BrowserContext): Promise<GuardedPage> {
  const page = await context.newPage();
  const guarded: GuardedPage = { page, requests: [], external: [], errors: [] };
  page.on('request', (request) => {
    guarded.requests.push(request.url());
    if (!isLocalUrl(request.url()) && !guarded.external.includes(request.url()))
      guarded.external.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') guarded.errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => guarded.errors.push(`page error: ${error.message}`));
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (isLocalUrl(url)) return route.continue();
    if (!guarded.external.includes(url)) guarded.external.push(url);
    return route.abort('blockedbyclient');
  });
  return guarded;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChartFacts {
  /** The topmost text of the SVG: ECharts puts the chart's title there. */
  title: string;
  /** The title's rendered box (empty when no font drew it). */
  titleBox: Box;
  /** The SVG's box on the page (document coordinates). */
  box: Box;
  inFigure: boolean;
  /** Painted shapes (path, rect, line, polyline, polygon, circle, ellipse) with a box wider or taller than 0. */
  drawn: number;
  /** Text elements with a rendered box. */
  texts: number;
  /** Series in the legend. */
  series: number;
  /** Shapes of the data: line and area paths (clipped to the grid) and bars, with a box. */
  dataMarks: number;
  /** The band between the title and the legend (document coordinates), where the data is drawn. */
  plotBand: Box;
  /** Pairs of texts drawn over each other (`title × axis name`): the SVG was laid out with other font metrics. */
  overlappingTexts: string[];
}

/** Every SVG on the page, in document order, with what a test needs to know about it. */
export function readCharts(page: Page): Promise<ChartFacts[]> {
  return page.evaluate(() => {
    const dom = globalThis as unknown as PageGlobals;
    const toBox = (rect: Omit<DomRect, 'right' | 'bottom'>) => ({
      x: rect.left + dom.scrollX,
      y: rect.top + dom.scrollY,
      width: rect.width,
      height: rect.height,
    });
    const hasBox = (element: DomElement) => {
      const rect = element.getBoundingClientRect();
      return rect.width > 0 || rect.height > 0;
    };
    const painted = (element: DomElement) => {
      const style = dom.getComputedStyle(element);
      const fill =
        style.fill !== 'none' && Number(style.fillOpacity) > 0 && style.fill !== 'rgba(0, 0, 0, 0)';
      const stroke = style.stroke !== 'none' && Number.parseFloat(style.strokeWidth) > 0;
      return (fill || stroke) && style.visibility !== 'hidden' && style.display !== 'none';
    };
    const shapes = 'path, rect, line, polyline, polygon, circle, ellipse';
    return [...dom.document.querySelectorAll('svg')].map((svg) => {
      const svgRect = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll('text')].filter(hasBox);
      const top = texts.reduce<DomElement | undefined>(
        (best, text) =>
          best === undefined || text.getBoundingClientRect().top < best.getBoundingClientRect().top
            ? text
            : best,
        undefined,
      );
      const titleRect = top?.getBoundingClientRect() ?? { ...svgRect, width: 0, height: 0 };
      const drawn = [...svg.querySelectorAll(shapes)].filter(
        (shape) => !shape.closest('defs') && hasBox(shape) && painted(shape),
      );
      const data = [...svg.querySelectorAll('g[clip-path] path, [ecmeta_ssr_type="chart"]')].filter(
        (mark) => hasBox(mark) && painted(mark),
      );
      const legend = [...svg.querySelectorAll('[ecmeta_ssr_type="legend"]')];
      const legendTop = Math.min(svgRect.bottom, ...legend.map((item) => item.getBoundingClientRect().top));
      const bandTop = titleRect.height > 0 ? titleRect.bottom + 2 : svgRect.top;
      const band = {
        left: svgRect.left,
        top: bandTop,
        width: svgRect.width,
        height: Math.max(0, legendTop - 2 - bandTop),
      };
      const overlappingTexts: string[] = [];
      const boxes = texts.map((text) => ({
        text: text.textContent ?? '',
        rect: text.getBoundingClientRect(),
      }));
      for (const [i, a] of boxes.entries()) {
        for (const b of boxes.slice(i + 1)) {
          const width = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
          const height = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
          if (width > 1 && height > 1) overlappingTexts.push(`${a.text} × ${b.text}`);
        }
      }
      return {
        title: top?.textContent ?? '',
        titleBox: toBox(titleRect),
        box: toBox(svgRect),
        inFigure: svg.closest('figure') !== null,
        drawn: drawn.length,
        texts: texts.length,
        series: legend.length,
        dataMarks: data.length,
        plotBand: toBox(band),
        overlappingTexts,
      };
    });
  });
}

export interface PageFacts {
  title: string;
  /** `src` attribute of every script element that has one. */
  scriptSources: string[];
  inlineScripts: number;
  /** URLs of other elements that load something (img, iframe, link, object, embed, source, video, audio). */
  loadedResources: string[];
  figures: number;
  /** The document's full width (`documentElement.scrollWidth`): wider than the viewport means a sideways scroll. */
  scrollWidth: number;
  /** The viewport's width without a vertical scrollbar (`documentElement.clientWidth`). */
  viewportWidth: number;
  /** Tables not inside a box that scrolls sideways (`overflow-x` auto or scroll) of their own. */
  unboxedTables: number;
  /** Tables in all. */
  tables: number;
}

export function readPage(page: Page): Promise<PageFacts> {
  return page.evaluate(() => {
    const dom = globalThis as unknown as PageGlobals;
    const { document } = dom;
    const scrolls = (element: DomElement | null) =>
      element !== null && ['auto', 'scroll'].includes(dom.getComputedStyle(element).overflowX);
    const tables = [...document.querySelectorAll('table')];
    const scripts = [...document.querySelectorAll('script')];
    const loaders = [
      ...document.querySelectorAll(
        'img[src], iframe[src], link[href], object[data], embed[src], source[src], video[src], audio[src]',
      ),
    ];
    return {
      title: document.title,
      scriptSources: scripts
        .filter((script) => script.hasAttribute('src'))
        .map((script) => script.getAttribute('src') ?? ''),
      inlineScripts: scripts.filter((script) => !script.hasAttribute('src')).length,
      loadedResources: loaders.map(
        (element) =>
          element.getAttribute('src') ?? element.getAttribute('href') ?? element.getAttribute('data') ?? '',
      ),
      figures: document.querySelectorAll('figure').length,
      scrollWidth: document.documentElement.scrollWidth,
      viewportWidth: document.documentElement.clientWidth,
      unboxedTables: tables.filter((table) => !scrolls(table.parentElement)).length,
      tables: tables.length,
    };
  });
}

export interface PixelFacts {
  width: number;
  height: number;
  /** Distinct colours (RGB), counted up to 4,096. */
  colours: number;
  /** Share of pixels unlike the most common colour (the background). */
  nonBackground: number;
  /** Per region asked for: pixels of a saturated colour (a series' line, area edge or bar). */
  saturated: number[];
}

/**
 * Decodes a PNG screenshot in a blank page of the same browser and counts colours, overall and in each
 * region (document coordinates = screenshot pixels at device scale 1). "Saturated" is max − min channel
 * ≥ 40: the series' colours are, the greys of axes, grid lines and labels are not.
 */
export async function readPixels(context: BrowserContext, png: Buffer, regions: Box[]): Promise<PixelFacts> {
  const page = await context.newPage();
  try {
    return await page.evaluate(
      async ({ base64, regions }) => {
        const dom = globalThis as unknown as PageGlobals;
        const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
        const bitmap = await dom.createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const canvas = new dom.OffscreenCanvas(bitmap.width, bitmap.height);
        const context2d = canvas.getContext('2d');
        if (!context2d) throw new Error('no 2d context');
        context2d.drawImage(bitmap, 0, 0);
        const { data, width, height } = context2d.getImageData(0, 0, bitmap.width, bitmap.height);
        const counts = new Map<number, number>();
        for (let i = 0; i < data.length; i += 4) {
          const rgb = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
          if (counts.size < 4096 || counts.has(rgb)) counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
        }
        const background = Math.max(...counts.values());
        const saturated = regions.map((region) => {
          let n = 0;
          const x0 = Math.max(0, Math.floor(region.x));
          const x1 = Math.min(width, Math.ceil(region.x + region.width));
          const y0 = Math.max(0, Math.floor(region.y));
          const y1 = Math.min(height, Math.ceil(region.y + region.height));
          for (let y = y0; y < y1; y++) {
            for (let x = x0; x < x1; x++) {
              const i = (y * width + x) * 4;
              const r = data[i] ?? 0;
              const g = data[i + 1] ?? 0;
              const b = data[i + 2] ?? 0;
              if (Math.max(r, g, b) - Math.min(r, g, b) >= 40) n++;
            }
          }
          return n;
        });
        return {
          width,
          height,
          colours: counts.size,
          nonBackground: 1 - background / (width * height),
          saturated,
        };
      },
      { base64: png.toString('base64'), regions },
    );
  } finally {
    await page.close();
  }
}
