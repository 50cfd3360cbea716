/** The metric a view is judged on, kept in the URL's `metric` so a link names it. */
import { setQuery } from './router.js';

/**
 * A choice of metric among `options`; the empty choice is the runs' leaderboard column, named by
 * `fallback` when the view knows it. `label` is the text before it (`Metric`); null when the page
 * labels it elsewhere (a `<label for="metric">`).
 */
export function MetricChoice(props: {
  value: string;
  options: string[];
  fallback: string | null;
  label?: string | null;
}) {
  const options = [...new Set([...(props.value ? [props.value] : []), ...props.options])];
  const select = (
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
  );
  if (props.label === null) return select;
  return (
    <label class="metric-choice">
      {props.label ?? 'Metric'} {select}
    </label>
  );
}
