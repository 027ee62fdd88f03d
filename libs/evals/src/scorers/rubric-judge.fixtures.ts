import { type JsonValue } from '@gatehouse/domain';
import { type TargetRequest } from '../targets/target';
import { type rubricJudge } from './rubric-judge';
import { type ScoreContext } from './scorer';

/** Builders the rubric judge's specs share (not used by the product). */

export type RubricConfig = Parameters<typeof rubricJudge>[0];
export type Messages = TargetRequest['messages'];

export const JUDGE = { model: 'judge-model', temperature: 0, seed: 7 };
export const RUBRIC = 'Score 5 if the answer is correct and plain; 1 if it is wrong.';

/** A rubric_judge scorer's configuration, one judge, scale 1-5, the reference included. */
export const rubricConfig = (over: Partial<RubricConfig> = {}): RubricConfig =>
  ({
    type: 'rubric_judge',
    name: 'quality',
    rubric: RUBRIC,
    scale: { min: 1, max: 5 },
    allowTargetAsJudge: false,
    includeExpected: true,
    weight: 1,
    judge: JUDGE,
    ...over,
  }) as RubricConfig;

/** What a scorer is handed for one item: its question, the answer, and (optionally) the reference. */
export const scoreContextOf = (
  prompt: string,
  output: string,
  expected?: JsonValue,
  id = 'item-1',
): ScoreContext => ({
  item: { id, input: prompt, ...(expected === undefined ? {} : { expected }) },
  prompt,
  output,
  call: { latencyMs: 1, inputTokens: null, outputTokens: null, costUsd: null },
  signal: new AbortController().signal,
});
