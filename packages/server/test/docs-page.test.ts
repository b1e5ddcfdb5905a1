import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { backend, startMoji, type RunningMoji } from './support/moji.js';
import { restRoutesOfRouter } from './support/rest-routes-of-router.js';

const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const artifacts = resolve(import.meta.dirname, '../../../test-artifacts');
const realConfigured = Boolean(process.env['DATABASE_URL'] && process.env['REDIS_URL']);

// The page does not depend on the backend, so the browser runs once per suite.
function browserSkipReason(): string | undefined {
  if (!existsSync(chromiumPath)) {
    const missing = `Chromium is not installed at ${chromiumPath} (apt-get install chromium)`;
    if (process.env['CI'] === 'true') throw new Error(`${missing}; CI must run the docs page test`);

    return missing;
  }
  if (realConfigured && backend === 'real') return 'it runs once, in the server-embedded project';

  return undefined;
}

const skipReason = browserSkipReason();
if (skipReason) console.warn(`skipped: the docs page browser test: ${skipReason}`);
let moji: RunningMoji;

beforeAll(async () => {
  moji = await startMoji();
});

afterAll(async () => {
  await moji?.close();
});

describe('GET /docs', () => {
  it('redirects /docs to the page, which loads nothing from outside Moji', async () => {
    const redirect = await fetch(`${moji.origin}/docs`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/docs/');

    const page = await fetch(`${moji.origin}/docs/`);
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('/api/v1/openapi.json');
    expect(html).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);

    const script = await fetch(`${moji.origin}/docs/js/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });

  it('answers HEAD like GET without a body, and other methods with 405', async () => {
    const head = await fetch(`${moji.origin}/docs/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    const post = await fetch(`${moji.origin}/docs/`, { method: 'POST' });
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await expectError(post, 405, 'METHOD_NOT_ALLOWED');
  });
});

const skipNote = skipReason ? ` (skipped: ${skipReason})` : '';
const title = `lists every route in headless Chromium${skipNote}`;

describe.skipIf(skipReason !== undefined)('the docs page in a browser', () => {
  it(title, { timeout: 120_000 }, async () => {
    const profile = mkdtempSync(join(tmpdir(), 'moji-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1440, height: 1300 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      // Anything the page asks of another origin is refused and remembered.
      const outside: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${moji.origin}/`)) return route.continue();
        outside.push(url);

        return route.abort();
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));

      await page.goto(`${moji.origin}/docs`);
      await page.getByRole('heading', { name: 'Moji API' }).first().waitFor({ timeout: 60_000 });
      const sidebar = page.getByRole('navigation').first();
      const routes = restRoutesOfRouter();
      for (const route of routes) {
        const summary = route.meta.openapi?.summary ?? '';
        await sidebar.getByText(summary, { exact: true }).waitFor({ timeout: 10_000 });
      }
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'docs-page.png') });

      expect(routes.length).toBeGreaterThanOrEqual(14);
      expect(outside).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
