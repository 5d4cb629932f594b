/**
 * Debian's Chromium, driven by playwright-core (which brings no browser of its own). `.ci/run` installs
 * the `chromium` package; on a machine without it the browser suite fails with what to install, it
 * does not skip.
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** The browser binary: `TIDEPLANE_CHROMIUM`, or Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env.TIDEPLANE_CHROMIUM || '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a machine with a closed network: no first-run UI, no background
 * connections to Google's services (refused here, and noise in the logs), no QUIC, no GPU.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Throws, saying what to install, when there is no Chromium to run. */
export function requireChromium(path = CHROMIUM_PATH): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `no Chromium at ${path}: the browser tests need Debian's chromium ` +
        '(`sudo apt-get install -y chromium chromium-driver`, as .ci/run does), ' +
        'or TIDEPLANE_CHROMIUM set to a Chromium binary',
    );
  }
}

export interface RunningChromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts headless Chromium with a fresh profile in a temporary directory. */
export async function launchChromium(): Promise<RunningChromium> {
  requireChromium();
  const profile = await mkdtemp(join(tmpdir(), 'tideplane-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
