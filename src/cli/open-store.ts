/**
 * The command line opens stores through the registry (src/stores/registry.ts), as the dashboard,
 * `evaluate()` and library users do.
 */
import { openTracker } from '../stores/registry.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';

export { DEFAULT_STORE, NoStoreError, STORE_KINDS } from '../stores/registry.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Whether a missing store is created (the default); see `openTracker`. */
  create?: boolean;
}

/** Opens the store at `where` (`--store`, else `EVALTRACK_STORE`, else the gllm-evals folder). */
export function openStore(
  where: string,
  projectName = 'evaltrack',
  options: OpenStoreOptions = {},
): Promise<BaseExperimentTracker> {
  return openTracker(projectName, { store: where, create: options.create ?? true });
}
