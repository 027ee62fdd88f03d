import { type JsonValue } from '@gatehouse/domain';
import { type ChatMessage, type DatasetItem } from '../datasets/dataset-item';
import { TargetError } from '../targets/target';

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

/** The variables a template uses, e.g. `input`, `metadata.region`. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(VARIABLE)].map((m) => m[1]);
}

/** Looks a dotted path up in an item: `input`, `id`, `expected`, `metadata.<key>`. */
export function itemValue(item: DatasetItem, path: string): JsonValue | undefined {
  const [head, ...rest] = path.split('.');
  let value: unknown =
    head === 'input'
      ? typeof item.input === 'string'
        ? item.input
        : item.input.map((m) => `${m.role}: ${m.content}`).join('\n')
      : (item as unknown as Record<string, unknown>)[head];
  for (const key of rest) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value as JsonValue | undefined;
}

/** Fills `{{variables}}` from the item; a variable the item lacks makes the item errored, not a guess. */
export function renderTemplate(template: string, item: DatasetItem): string {
  return template.replace(VARIABLE, (_match, path: string) => {
    const value = itemValue(item, path);
    if (value === undefined) {
      throw new TargetError(
        'configuration',
        `the prompt template uses {{${path}}} but item ${item.id} has no ${path}`,
      );
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * The chat sent to the target: the suite's system prompt, then either the item's own chat messages or
 * the rendered template as one user message.
 */
export function buildMessages(
  item: DatasetItem,
  prompt: { system?: string; template: string },
): { messages: ChatMessage[]; prompt: string } {
  const system: ChatMessage[] = prompt.system
    ? [{ role: 'system', content: renderTemplate(prompt.system, item) }]
    : [];
  if (typeof item.input !== 'string') {
    return { messages: [...system, ...item.input], prompt: item.input.map((m) => m.content).join('\n') };
  }
  const text = renderTemplate(prompt.template, item);
  return { messages: [...system, { role: 'user', content: text }], prompt: text };
}
