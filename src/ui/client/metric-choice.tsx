/** The metric a view is judged on, kept in the URL's `metric` so a link names it. */
import { setQuery } from './router.js';

/**
 * A choice of metric among `options`; the empty choice is the runs' leaderboard column, named by
 * `fallback` when the view knows it.
 */
export function MetricChoice(props: { value: string; options: string[]; fallback: string | null }) {
  const options = [...new Set([...(props.value ? [props.value] : []), ...props.options])];
  return (
    <label class="metric-choice">
      Metric{' '}
      <select
        id="metric"
        value={props.value}
        onChange={(e) => setQuery({ metric: e.currentTarget.value })}
      >
        <option value="">
          {props.fallback ? `${props.fallback} (leaderboard column)` : 'leaderboard column'}
        </option>
        {options
          .filter((o) => o !== props.fallback || props.value === o)
          .map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
      </select>
    </label>
  );
}
