import { escapeMarkup } from './svg-charts';

// Escaping: every interpolation is escaped unless it is already markup made here (`Html`). The tag is
// called `markup`, not `html`, so that Prettier leaves the templates' whitespace (and the style hash) alone.

export class Html {
  constructor(readonly value: string) {}
}

export type HtmlValue = string | number | Html | null | undefined | false | readonly HtmlValue[];

export function markup(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += toMarkup(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function toMarkup(value: HtmlValue): string {
  if (value instanceof Html) {
    return value.value;
  }
  if (Array.isArray(value)) {
    return (value as readonly HtmlValue[]).map(toMarkup).join('');
  }
  if (value === null || value === undefined || value === false) {
    return '';
  }
  return escapeMarkup(String(value));
}

/** Markup that is already safe: the SVG from svg-charts (which escapes its own text) and the style sheet. */
export function raw(markup: string): Html {
  return new Html(markup);
}
