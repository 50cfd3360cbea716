/** One metric's histograms in both runs, drawn by uPlot; the numbers are also in its label. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { MetricChart as Chart } from '../report-data.js';

const BASELINE = '#d97706';
const CANDIDATE = '#2563eb';

/** Where bar `i` of `bins` sits on the x axis: its bin's centre. */
const centres = (c: Chart): number[] => {
  const bins = c.baseline.length;
  const width = (c.max - c.min) / bins;
  return c.kind === 'pass/fail' ? [0, 1] : c.baseline.map((_, i) => c.min + width * (i + 0.5));
};

export function MetricChart({ chart, deciding }: { chart: Chart; deciding: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = centres(chart);
    const step = xs.length > 1 ? (xs[1] as number) - (xs[0] as number) : 1;
    const ink = getComputedStyle(document.body).color;
    const axis = {
      stroke: ink,
      grid: { stroke: 'rgba(128,128,128,0.2)' },
      ticks: { stroke: 'rgba(128,128,128,0.3)' },
    };
    const bars = (align: -1 | 1) => uPlot.paths.bars?.({ size: [0.42, 80], align });
    const u = new uPlot(
      {
        width: el.clientWidth || 320,
        height: 140,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: {
            time: false,
            range: () => [(xs[0] as number) - step / 2, (xs[xs.length - 1] as number) + step / 2],
          },
          y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        axes: [
          {
            ...axis,
            size: 28,
            // Pass/fail: a label under each bar; a score: the range's two ends and its middle.
            splits: () =>
              chart.kind === 'pass/fail' || xs.length === 1
                ? xs
                : [chart.min, (chart.min + chart.max) / 2, chart.max],
            values: (_u, splits) =>
              splits.map((x) =>
                chart.kind === 'pass/fail'
                  ? x === 0
                    ? 'fail'
                    : 'pass'
                  : String(Number(x.toFixed(3))),
              ),
          },
          { ...axis, size: 40 },
        ],
        series: [
          {},
          {
            label: 'baseline',
            fill: BASELINE,
            stroke: BASELINE,
            points: { show: false },
            paths: bars(-1),
          },
          {
            label: 'candidate',
            fill: CANDIDATE,
            stroke: CANDIDATE,
            points: { show: false },
            paths: bars(1),
          },
        ],
      },
      [xs, chart.baseline, chart.candidate],
      el,
    );
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: 140 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
    };
  }, [chart]);
  const label = `${chart.metric}: samples per ${chart.kind === 'pass/fail' ? 'verdict (fail, pass)' : `bin from ${chart.min} to ${chart.max}`}, baseline ${chart.baseline.join(', ')}; candidate ${chart.candidate.join(', ')}`;
  return (
    <figure class={`metric-chart${deciding ? ' deciding' : ''}`}>
      <figcaption title={chart.metric}>
        {chart.metric}
        {deciding && <span class="tag">decides</span>}
      </figcaption>
      <div ref={box} class="chart" role="img" aria-label={label} />
      <p class="legend">
        <span>
          <i class="swatch baseline" /> baseline
        </span>
        <span>
          <i class="swatch candidate" /> candidate
        </span>
      </p>
    </figure>
  );
}
