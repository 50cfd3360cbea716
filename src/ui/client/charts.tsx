/** Charts drawn by uPlot; labels and legends stay in the page's own (escaped) markup. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Histogram, RunWithStats } from './api.js';

export const PALETTE = [
  '#2563eb',
  '#d97706',
  '#059669',
  '#db2777',
  '#7c3aed',
  '#0891b2',
  '#65a30d',
  '#dc2626',
];

const ink = (): string => getComputedStyle(document.body).color;

/** A uPlot chart filling its box's width, rebuilt when `data` changes. */
function Chart(props: {
  label: string;
  height: number;
  data: uPlot.AlignedData;
  options: () => Partial<uPlot.Options>;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Rebuilt when the numbers change, not on every render of the page around it.
  const key = JSON.stringify(props.data);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = {
      stroke: ink(),
      grid: { stroke: 'rgba(128,128,128,0.2)' },
      ticks: { stroke: 'rgba(128,128,128,0.3)' },
    };
    const base = props.options();
    const chart = new uPlot(
      {
        width: el.clientWidth || 600,
        height: props.height,
        legend: { show: false },
        cursor: { show: false },
        series: [{}],
        ...base,
        axes: (base.axes ?? [{}, {}]).map((a) => ({ ...axis, ...a })),
      },
      props.data,
      el,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: el.clientWidth, height: props.height }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [key]);
  return <div ref={box} class="chart" role="img" aria-label={props.label} />;
}

/**
 * The leaderboard score of each run over time (its last update), one series per dataset, each
 * point with its 95% interval as a bar.
 */
export function ScoreOverTime({ runs }: { runs: RunWithStats[] }) {
  const timed = runs.filter((r) => r.updatedAt !== null && r.stats.score !== null);
  const datasets = [...new Set(timed.map((r) => r.datasetName))].slice(0, PALETTE.length);
  if (timed.length === 0) return <p class="muted">No run has both a score and a time to chart.</p>;
  const xs = [...new Set(timed.map((r) => Date.parse(r.updatedAt as string) / 1000))].sort(
    (a, b) => a - b,
  );
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = datasets.map(() => xs.map((): number | null => null));
  const lows = datasets.map(() => xs.map((): number | null => null));
  const highs = datasets.map(() => xs.map((): number | null => null));
  for (const r of timed) {
    const d = datasets.indexOf(r.datasetName);
    const i = at.get(Date.parse(r.updatedAt as string) / 1000);
    if (d < 0 || i === undefined) continue;
    ys[d]![i] = r.stats.score;
    lows[d]![i] = r.stats.scoreInterval?.low ?? null;
    highs[d]![i] = r.stats.scoreInterval?.high ?? null;
  }
  const drawBars = (u: uPlot): void => {
    const ctx = u.ctx;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    datasets.forEach((_, d) => {
      ctx.strokeStyle = PALETTE[d] ?? ink();
      xs.forEach((x, i) => {
        const lo = lows[d]![i];
        const hi = highs[d]![i];
        if (lo == null || hi == null) return;
        const px = u.valToPos(x, 'x', true);
        ctx.beginPath();
        ctx.moveTo(px, u.valToPos(lo, 'y', true));
        ctx.lineTo(px, u.valToPos(hi, 'y', true));
        ctx.stroke();
      });
    });
    ctx.restore();
  };
  return (
    <figure>
      <Chart
        label={`score over time for ${datasets.length} datasets`}
        height={220}
        data={[xs, ...ys] as uPlot.AlignedData}
        options={() => ({
          scales: { y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
          series: [
            {},
            ...datasets.map((_, d) => ({
              stroke: PALETTE[d],
              width: 1.5,
              spanGaps: true,
              points: { show: true, size: 7, fill: PALETTE[d] },
            })),
          ],
          hooks: { draw: [drawBars] },
        })}
      />
      <figcaption class="legend">
        {datasets.map((name, d) => (
          <span key={name}>
            <i class={`swatch c${d}`} /> {name}
          </span>
        ))}
        <span class="muted">score by run over time, bars: 95% interval</span>
      </figcaption>
    </figure>
  );
}

/** One metric's distribution over a run's samples. */
export function MetricHistogram({ h }: { h: Histogram }) {
  const width = (h.max - h.min) / h.counts.length;
  const xs = h.counts.map((_, i) => h.min + width * (i + 0.5));
  return (
    <figure class="histogram">
      <figcaption title={h.metric}>{h.metric}</figcaption>
      <Chart
        label={`histogram of ${h.metric}: ${h.counts.join(', ')}`}
        height={110}
        data={[xs, h.counts]}
        options={() => ({
          scales: {
            x: { time: false, range: [h.min, h.max] },
            y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
          },
          axes: [{ size: 24 }, { size: 36 }],
          series: [
            {},
            {
              fill: 'rgba(37,99,235,0.5)',
              stroke: PALETTE[0],
              points: { show: false },
              paths: uPlot.paths.bars?.({ size: [0.9, 60] }),
            },
          ],
        })}
      />
    </figure>
  );
}
