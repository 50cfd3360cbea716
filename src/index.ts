/**
 * evaltrack: an experiment tracker for LLM evaluations. The root export holds the contract (types,
 * errors, the base tracker and its store interface) and the CSV trackers; database stores have
 * subpaths of their own so that importing this never loads a native driver.
 */
export type {
  EvaluationOutput,
  EvaluatorResult,
  FlatValue,
  HistoryOptions,
  LLMTestCase,
  LogContextOptions,
  LogOptions,
  MetricInput,
  ResultMeasures,
  ResultRecord,
  RunMeasures,
  RunSummary,
  StepMeasures,
  SummaryEvaluator,
  TokenUsage,
} from './types.js';
export {
  EvaltrackError,
  InvalidInputError,
  LockTimeoutError,
  PeerFormatError,
  StoreIoError,
  TrackerClosedError,
  UnstoredResultsError,
} from './errors.js';
export type { ErrorCode } from './errors.js';
export { BaseExperimentTracker } from './tracker/base-experiment-tracker.js';
export type {
  BaseTrackerOptions,
  ResolvedTrackerOptions,
  TrackerOptions,
} from './tracker/base-experiment-tracker.js';
export type {
  OutcomeRow,
  PreparedResult,
  ResultStore,
  RunPatch,
  StoreFactory,
  StoreRules,
} from './tracker/result-store.js';
export { recordOf } from './tracker/result-store.js';
export { storeRules } from './tracker/store-rules.js';
// For authors of stores: the leaderboard rules every store applies the same way.
export {
  applyPatch,
  compareRunsByCreation,
  compareRunsByUpdate,
  emptyAggregate,
  foldResult,
  mergeAggregates,
  toRunSummary,
} from './tracker/run-aggregate.js';
export type { AggregateInput, RunAggregate } from './tracker/run-aggregate.js';
export type { ColumnKind, FlatColumn } from './tracker/flatten-result.js';
export type {
  PassToFail,
  SampleHistory,
  SampleHistoryOptions,
  SampleRun,
} from './tracker/sample-history.js';
export type { FlakyOptions, FlakyReport, FlakySample } from './tracker/flaky-samples.js';
export { sampleIdOf } from './tracker/ids.js';
export { copyResults } from './copy-results.js';
export { importPeerResults } from './import/import-peer-results.js';
export type { PeerResultsOptions } from './import/import-peer-results.js';
export { importPromptfoo } from './import/import-promptfoo.js';
export { importEvalite } from './import/import-evalite.js';
export type { PeerImportOptions, PeerImportReport } from './import/import-peer-records.js';
export type { PeerFormat, PeerTool } from './import/detect-peer-format.js';
export { DEFAULT_STORE, NoStoreError, openTracker, STORE_KINDS } from './stores/registry.js';
export type { OpenTrackerOptions, StoreKind } from './stores/registry.js';
export { evaluate, metricEvaluator } from './evaluate.js';
export type {
  EvaluateOptions,
  Evaluator,
  EvaluatorContext,
  ExperimentResult,
  Metric,
  MetricArgs,
  MetricScore,
  MetricSpec,
  Task,
  TaskContext,
  TaskResult,
} from './evaluate.js';
export type { CopyResultsOptions, CopyResultsReport } from './copy-results.js';
export { CSVExperimentTracker, SimpleExperimentTracker } from './csv.js';
export type { CsvTrackerOptions, SimpleTrackerOptions } from './csv.js';
