/// <reference lib="dom" />
import { screenshot, seriousAccessibilityViolations } from '@gatehouse/testing/browser';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * One person in a browser journey: their own browser context (so their own session cookie), one page, and
 * every console error, uncaught page error and Content-Security-Policy violation their pages produced.
 */
export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

export const VIEWPORT = { width: 1200, height: 900 };

/** Reports CSP violations as console errors too (the init script runs over CDP, outside the page's CSP). */
const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' in ' + e.sourceFile + ':' + e.lineNumber);
});`;

export async function newPerson(browser: Browser, name: string): Promise<Person> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript({ content: REPORT_CSP_VIOLATIONS });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // A page answered 400 on purpose (a form with errors) is logged as "Failed to load resource"; failed
    // subresources are caught below by their status.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console error on ${page.url()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
  page.on('response', (response) => {
    // Documents may answer 4xx on purpose (a form with errors); a stylesheet, script or font may not.
    if (response.status() >= 400 && response.request().resourceType() !== 'document') {
      problems.push(`${response.status()} for ${response.url()}`);
    }
  });
  return { name, context, page, problems };
}

/**
 * Wraps a step of the journey: it fails on its own errors and on any console error, page error, CSP
 * violation or failed asset in the people's pages; on failure it saves a screenshot of each person's page
 * as test-artifacts/web-journey-failure-<step>[-<person>].png and rethrows.
 */
export async function step<T>(name: string, people: Person[], body: () => Promise<T>): Promise<T> {
  try {
    const result = await body();
    const problems = people.flatMap((person) => person.problems.map((p) => `${person.name}: ${p}`));
    if (problems.length > 0) {
      throw new Error(`The pages reported problems:\n${problems.join('\n')}`);
    }
    return result;
  } catch (error) {
    for (const person of people) {
      if (!person.page.isClosed()) {
        const suffix = people.length > 1 ? `-${person.name.toLowerCase().replace(/\W+/g, '-')}` : '';
        await screenshot(person.page, `web-journey-failure-${name}${suffix}`).catch(() => undefined);
      }
    }
    throw error;
  }
}

/** The page's path and its serious or critical axe violations, for an `expect(...).toEqual([])`. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.waitForLoadState('load');
  const path = new URL(page.url()).pathname;
  return (await seriousAccessibilityViolations(page)).map(
    (v) => `${path}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** The id (or tag and name) of the focused element, and its accessible label where it has one. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) {
      return 'body';
    }
    if (el.id) {
      return `#${el.id}`;
    }
    const name = el.getAttribute('name');
    const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ');
    return `${el.tagName.toLowerCase()}${name ? `[name=${name}]` : ''}${text ? `:${text}` : ''}`;
  });
}

/**
 * Presses Tab until `target` (as `focused` names it) has the focus, at most `max` times, and returns the
 * stops passed on the way. Fails if the focus never gets there: the field is out of the tab order, or
 * after the fields it should follow.
 */
export async function tabTo(page: Page, target: string, max = 12): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    stops.push(now);
    if (now === target) {
      return stops;
    }
  }
  throw new Error(`Tab never reached ${target} in ${max} presses; the focus went ${stops.join(' → ')}`);
}

/** Tabs to a field and types into it, keyboard only. */
export async function tabAndType(page: Page, target: string, text: string, max?: number): Promise<void> {
  await tabTo(page, target, max);
  await page.keyboard.type(text);
}
