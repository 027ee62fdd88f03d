/// <reference lib="dom" />
import {
  describeBrowser,
  launchChromium,
  screenshot,
  seriousAccessibilityViolations,
} from '@gatehouse/testing/browser';
import { type Browser } from 'playwright-core';
import { renderHtmlReport } from './html-report';
import { exampleRunReport } from './report-fixtures';

describeBrowser('the HTML run report in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(() => browser?.close());

  it('renders offline with its charts, no scripts, no requests and no serious accessibility problems', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        errors.push(message.text());
      }
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setContent(renderHtmlReport(exampleRunReport()), { waitUntil: 'load' });
    await screenshot(page, 'html-report');

    await expect(page.locator('h1').innerText()).resolves.toContain('benefits-enquiry-triage@');
    await expect(page.getByText('Failed', { exact: true }).first().isVisible()).resolves.toBe(true);
    const charts = await page.locator('svg[role="img"]').evaluateAll((svgs) =>
      svgs.map((svg) => ({
        width: svg.getBoundingClientRect().width,
        title: svg.querySelector('title')?.textContent ?? '',
      })),
    );
    expect(charts.length).toBeGreaterThan(3);
    expect(charts.every((c) => c.width > 100 && c.title.length > 0)).toBe(true);
    expect(requests.filter((url) => !url.startsWith('data:') && url !== 'about:blank')).toEqual([]);
    expect(errors).toEqual([]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('stays readable on a phone-width screen', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.setContent(renderHtmlReport(exampleRunReport()), { waitUntil: 'load' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await screenshot(page, 'html-report-mobile');
    expect(overflow).toBeLessThanOrEqual(1);
    await page.close();
  }, 60_000);
});
