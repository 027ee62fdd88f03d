export { krippendorffAlphaNominal } from './agreement';
export { type BootstrapOptions, bootstrapMeanInterval } from './bootstrap';
export { NO_LABEL, classificationReport } from './classification';
export { mean, percentiles } from './descriptive';
export { type EpochReducer, parseEpochReducer, reduceEpochs } from './epochs';
export { type GroupBreakdownOptions, groupBreakdown } from './groups';
export {
  type PairedPassFailComparison,
  type PairedScoreComparison,
  comparePairedPassFail,
  comparePairedScores,
  mcnemarExact,
} from './paired';
export { clopperPearsonInterval, exactUpperBound, normalQuantile, wilsonInterval } from './proportions';
export { type SeededRandom, seededRandom } from './random';
export {
  type ClusterBootstrapOptions,
  type ClusterStatistic,
  clusterBootstrapInterval,
  clusterBootstrapIntervals,
} from './cluster-bootstrap';
export { cohensKappa, cohensKappaBinary } from './kappa';
export {
  type ProportionBounds,
  type StratifiedProportion,
  type StratumObservations,
  SINGLETON_STRATUM_VARIANCE,
  clopperPearsonBounds,
  kornGraubardBounds,
  stratifiedProportion,
} from './survey-proportion';
