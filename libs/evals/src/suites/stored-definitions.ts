import { type DatasetItem } from '../datasets/dataset-item';
import { type SuiteDefinition, type TargetConfig } from './suite-schema';

/*
 * The registry's JSON columns, typed. A suite definition, a run's target and a dataset item are checked
 * against their schemas before they are stored, so what is read back is trusted as stored: these are the
 * one place that says so, instead of a cast at every read.
 */

/** A published suite's definition (validated by `suiteSchema` when it was published). */
export function suiteDefinitionOf(suite: { definition: object }): SuiteDefinition {
  return suite.definition as SuiteDefinition;
}

/** The target a run calls (validated by `targetSchema` when the run was started). */
export function targetConfigOf(run: { targetConfig: object }): TargetConfig {
  return run.targetConfig as TargetConfig;
}

/** A frozen dataset's item (validated by the item schema when the dataset was uploaded). */
export function datasetItemOf(row: { item: object }): DatasetItem {
  return row.item as DatasetItem;
}
