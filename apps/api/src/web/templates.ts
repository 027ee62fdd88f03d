import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Environment, FileSystemLoader } from 'nunjucks';

/** The API app's directory (apps/api), found from here whether running from dist/ or from the sources. */
function appDirectory(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'apps/api/views'))) {
      return join(dir, 'apps/api');
    }
    dir = dirname(dir);
  }
  throw new Error(`apps/api/views not found above ${__dirname}`);
}

export const API_APP_DIR = appDirectory();
export const VIEWS_DIR = join(API_APP_DIR, 'views');
export const PUBLIC_DIR = join(API_APP_DIR, 'public');
/** GOV.UK Frontend's compiled package: templates, CSS, JS, fonts and images. */
export const GOVUK_DIR = join(dirname(require.resolve('govuk-frontend/package.json')), 'dist/govuk');

/**
 * The one inline script GOV.UK Frontend's page template carries (it marks the body as JS-enabled). The
 * Content-Security-Policy allows exactly this script by its hash; no other inline script runs.
 */
export function govukInlineScriptHash(): string {
  const template = readFileSync(join(GOVUK_DIR, 'template.njk'), 'utf8');
  const match = /<script[^>]*>([^<]*)<\/script>/.exec(template);
  if (!match) {
    throw new Error('GOV.UK Frontend template has no inline script: review the CSP');
  }
  return `'sha256-${createHash('sha256').update(match[1]).digest('base64')}'`;
}

const percent = (value: unknown, digits = 1) =>
  typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : '–';

const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});
const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

/** One Nunjucks environment: autoescaping on, GOV.UK Frontend's macros and our views on the path. */
export function createTemplates(): Environment {
  const env = new Environment(new FileSystemLoader([VIEWS_DIR, GOVUK_DIR], { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('percent', percent);
  env.addFilter('number', (value: unknown, digits = 3) =>
    typeof value === 'number' && Number.isFinite(value)
      ? String(Math.round(value * 10 ** digits) / 10 ** digits)
      : '–',
  );
  env.addFilter('dateTime', (value: unknown) =>
    typeof value === 'string' || value instanceof Date ? `${DATE_TIME.format(new Date(value))} UTC` : '',
  );
  env.addFilter('date', (value: unknown) =>
    typeof value === 'string' || value instanceof Date ? DATE.format(new Date(value)) : '',
  );
  env.addFilter('words', (value: unknown) => (typeof value === 'string' ? value.replace(/_/g, ' ') : ''));
  env.addFilter('capitalise', (value: unknown) =>
    typeof value === 'string' && value ? value[0].toUpperCase() + value.slice(1) : '',
  );
  return env;
}
