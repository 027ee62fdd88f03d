import { type JsonValue } from '@gatehouse/domain';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/**
 * One dataset item. `input` is the text (or chat) sent to the system under test; `expected` is what a
 * scorer compares against (a label, an answer, facts that must appear…); `metadata` carries anything else,
 * including group attributes used for fairness metrics (`age_band`, `sex`, `region`).
 */
export interface DatasetItem {
  id: string;
  input: string | ChatMessage[];
  expected?: JsonValue;
  metadata?: Record<string, JsonValue>;
}
