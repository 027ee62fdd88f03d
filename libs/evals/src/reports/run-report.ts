// The run report types are the domain's (libs/domain/src/evaluation/run-report.ts); re-exported for the engine.
export type {
  FailureExample,
  RunManifest,
  RunOutcome,
  RunReport,
  ThresholdOp,
  ThresholdResult,
  ThresholdStat,
} from '@gatehouse/domain';
