/** Charts drawn by uPlot; labels and legends stay in the page's own (escaped) markup. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Histogram } from './api.js';
import { when } from './format.js';
import { dateSpan, dateTick } from './run-order.js';

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

/** One run on the runs chart: its position in its dataset's history, its score and interval. */
export interface RunPoint {
  position: number;
  runId: string;
  score: number;
  low: number | null;
  high: number | null;
}

/** Positions 1, 2, 5, 10, 20, 50…: ticks on whole runs only. */
const RUN_STEPS = Array.from({ length: 7 }, (_, k) => [1, 2, 5].map((m) => m * 10 ** k)).flat();

/**
 * One dataset's runs in the order they were made (x: the run's position in the dataset's
 * history, labelled with its start date), each run's score on `metric` with its 95% interval as a
 * bar. The tick labels drawn are also in the figure's `data-ticks` (JSON), as a canvas hides them.
 */
export function ScoreByRunOrder(props: {
  dataset: string;
  metric: string;
  points: RunPoint[];
  /** When each run of the dataset started, by position - 1. */
  starts: string[];
  caption: string;
}) {
  const { points, starts, metric } = props;
  if (points.length === 0)
    return (
      <p class="muted" id="runs-chart-none">
        No run of {props.dataset} shown has a score on {metric || 'its leaderboard column'} to
        chart.
      </p>
    );
  const span = dateSpan(starts);
  const xs = points.map((p) => p.position);
  const drawBars = (u: uPlot): void => {
    const ctx = u.ctx;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.strokeStyle = PALETTE[0] ?? ink();
    for (const p of points) {
      if (p.low === null || p.high === null) continue;
      const px = u.valToPos(p.position, 'x', true);
      ctx.beginPath();
      ctx.moveTo(px, u.valToPos(p.low, 'y', true));
      ctx.lineTo(px, u.valToPos(p.high, 'y', true));
      ctx.stroke();
    }
    ctx.restore();
  };
  const first = points[0] as RunPoint;
  const last = points[points.length - 1] as RunPoint;
  return (
    <figure class="runs-chart">
      <p class="axis-name" id="runs-chart-y">
        {metric}
      </p>
      <Chart
        key={`${props.dataset}\u0000${metric}`}
        label={`${metric} of ${points.length} runs of ${props.dataset}, oldest first: from run ${first.position} (${when(starts[first.position - 1] ?? null)}) to run ${last.position} (${when(starts[last.position - 1] ?? null)})`}
        height={200}
        data={[xs, points.map((p) => p.score)]}
        options={() => ({
          scales: {
            x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
            y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
          },
          axes: [
            {
              label: 'run, oldest first (started, UTC)',
              size: 48,
              space: 64,
              incrs: RUN_STEPS,
              values: (u, splits) => {
                const labels = splits.map((x) =>
                  Number.isInteger(x) && starts[x - 1]
                    ? dateTick(starts[x - 1] as string, span)
                    : '',
                );
                u.root.parentElement?.setAttribute(
                  'data-ticks',
                  JSON.stringify(labels.filter((l) => l !== '')),
                );
                return labels;
              },
            },
            { size: 48 },
          ],
          series: [
            {},
            {
              stroke: PALETTE[0],
              width: 1.5,
              spanGaps: true,
              points: { show: true, size: 7, fill: PALETTE[0] },
            },
          ],
          hooks: { draw: [drawBars] },
        })}
      />
      <figcaption class="legend" id="runs-chart-caption">
        {props.caption}
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
