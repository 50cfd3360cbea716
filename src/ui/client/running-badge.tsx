/** The "running" badge of a run being logged now (see `use-live.ts`). */
import { useRunning } from './use-live.js';

export function RunningBadge({ runId }: { runId: string }) {
  return useRunning(runId) ? (
    <span class="badge running" title="results arrived within the last seconds">
      running
    </span>
  ) : null;
}
