/** evaluate(): run evaluators over a dataset and log every result into a tracker. */
export { evaluate } from './evaluate/evaluate.js';
export type {
  EvaluateOptions,
  ExperimentResult,
  Task,
  TaskContext,
  TaskResult,
} from './evaluate/evaluate.js';
export { metricEvaluator } from './evaluate/metric-evaluator.js';
export type {
  Evaluator,
  EvaluatorContext,
  Metric,
  MetricArgs,
  MetricScore,
  MetricSpec,
} from './evaluate/metric-evaluator.js';
