/**
 * The explorer in a real headless Chromium (Debian's `chromium`, driven by playwright-core): it opens
 * the page, runs the pre-filled dashboard query with the pre-filled demo token, sees numbers in the
 * result pane, and the page requested nothing outside the gateway's origin.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI (.ci/run) installs Chromium and requires it; elsewhere a machine without it reports the test as not run.
const required = ['1', 'true'].includes(process.env.REQUIRE_BROWSER ?? '') || ['1', 'true'].includes(process.env.REQUIRE_SERVICES ?? '');
const present = existsSync(CHROMIUM);
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!present && !required) return;
  if (!present) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium); .ci/run does it`);
  }
  gw = await startTestGateway({ demo: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

const suiteName = present || required
  ? 'GraphQL explorer in headless Chromium'
  : `GraphQL explorer in headless Chromium — NOT RUN: no browser at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;

describe.skipIf(!present && !required)(suiteName, () => {
  it('runs the dashboard query with the demo token, shows numbers, and loads nothing from outside', async () => {
    expect(gw.app.demoToken).toBeTruthy();
    const origin = new URL(gw.url).origin;
    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

    await page.goto(`${gw.url}/graphql`, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForSelector('.graphiql-execute-button', { timeout: 60_000 });
    // The headers editor carries the demo token; the query editor the dashboard query.
    await page.waitForFunction(() => document.body.innerText.includes('dashboard'), undefined, { timeout: 30_000 });

    const graphqlPost = page.waitForResponse((r) => r.url().startsWith(`${origin}/graphql`) && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('dashboard'), { timeout: 60_000 });
    await page.click('.graphiql-execute-button');
    const response = await graphqlPost;
    expect(response.status()).toBe(200);
    const sent = response.request().headers();
    expect(sent.authorization).toBe(`Bearer ${gw.app.demoToken}`);

    await page.waitForFunction(() => /"total":\s*\d+/.test(document.querySelector('.graphiql-response')?.textContent ?? ''), undefined, { timeout: 30_000 });
    const result = (await page.textContent('.graphiql-response')) ?? '';
    const totals = [...result.matchAll(/"total":\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(totals.length).toBeGreaterThan(0);
    expect(totals.some((n) => n > 0)).toBe(true); // the demo has traffic: real numbers, not just zeros
    expect(result).not.toContain('UNAUTHENTICATED');

    if (process.env.EXPLORER_SCREENSHOT) {
      mkdirSync('.data', { recursive: true });
      await page.screenshot({ path: process.env.EXPLORER_SCREENSHOT, fullPage: true });
    }

    const outside = requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(outside, 'requests outside the gateway').toEqual([]);
    expect(problems.filter((p) => /Content Security Policy|ERR_|failed:/.test(p)), 'blocked or failed loads').toEqual([]);
    await page.close();
  }, 180_000);
});
