import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import type { EvaluationOutput, ResultMeasures } from '../../types.js';
import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

const PASS = gllmResult(1, 1, 0);
const FAIL = gllmResult(0, 1, 0);
const ERROR = { generation: { error: 'TimeoutError: took longer than 10 ms', attempts: 3 } };

/** Outcomes of samples s1..s5 in runs r1..r6 of dataset `d` (`-`: the sample is not in the run). */
const PLAN: Record<string, (EvaluationOutput | EvaluationOutput[] | '-')[]> = {
  // r4: two trials, one pass and one fail: a tie, which fails (as in compare). r6: an evaluator
  // error, no outcome.
  s1: [PASS, FAIL, PASS, [FAIL, PASS], FAIL, ERROR],
  s2: [FAIL, PASS, PASS, PASS, PASS, '-'],
  s3: [PASS, PASS, PASS, PASS, PASS, '-'],
  s4: [PASS, '-', '-', '-', '-', '-'],
  s5: [PASS, PASS, PASS, PASS, FAIL, '-'],
};

/** Runs r1..r6 of dataset `d` created a day apart (2020-01-01 to 2020-01-06), as planned. */
async function logPlan(t: BaseExperimentTracker): Promise<void> {
  for (let run = 0; run < 6; run++) {
    const results: EvaluationOutput[] = [];
    const data: Record<string, unknown>[] = [];
    const measures: (ResultMeasures | null)[] = [];
    for (const [id, outcomes] of Object.entries(PLAN)) {
      const planned = outcomes[run] ?? '-';
      if (planned === '-') continue;
      // Trials logged last first: results are read back in trial order.
      const trials = Array.isArray(planned) ? planned : [planned];
      trials.forEach((r, trial) => {
        results.unshift(r);
        data.unshift(sample(Number(id.slice(1))));
        measures.unshift(trials.length > 1 ? { trial } : null);
      });
    }
    const runId = `r${run + 1}`;
    await t.logBatch(results, 'd', data, {
      runId,
      measures,
      metadata: { model_name: `m${run + 1}` },
    });
    await setCreated(t, runId, `2020-01-0${run + 1}T00:00:00.000Z`);
  }
}

async function setCreated(t: BaseExperimentTracker, runId: string, createdAt: string) {
  const run = await t.getRun(runId);
  if (run) await t.importRun({ ...run, createdAt });
}

const at = (day: number) => `2020-01-0${day}T00:00:00.000Z`;
const round = (x: number | undefined) => Number((x ?? NaN).toFixed(6));

/** A sample's history across runs, and flaky samples: the same values from every store. */
export function describeSampleHistory(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    fresh,
    expectError,
    expectRefused,
  } = kit;

  describe(`${name}: a sample's history and flaky samples`, () => {
    it('gives every run that holds a sample, newest first, with its outcome, value and trials', async () => {
      const t = fresh();
      await logPlan(t);
      const h = await t.getSampleHistory('s1');
      expect({ ...h, runs: undefined }).toEqual({
        sampleId: 's1',
        datasetName: 'd',
        metric: 'generation.aggregate_success',
        passFail: true,
        runCount: 6,
        runs: undefined,
        lastPassToFail: { runId: 'r4', createdAt: at(4), passedIn: 'r3' },
      });
      expect(
        h.runs.map((r) => [r.runId, r.createdAt, r.modelName, r.value, r.passed, r.trials]),
      ).toEqual([
        ['r6', at(6), 'm6', null, null, 1],
        ['r5', at(5), 'm5', 0, false, 1],
        ['r4', at(4), 'm4', 0.5, false, 2],
        ['r3', at(3), 'm3', 1, true, 1],
        ['r2', at(2), 'm2', 0, false, 1],
        ['r1', at(1), 'm1', 1, true, 1],
      ]);
      expect(h.runs.map((r) => [r.passes, r.verdicts, r.error])).toEqual([
        [0, 0, 'generation: TimeoutError: took longer than 10 ms'],
        [0, 1, null],
        [1, 2, null],
        [1, 1, null],
        [0, 1, null],
        [1, 1, null],
      ]);
      const r4 = h.runs[2];
      expect(r4?.output).toBe('answer 1');
      expect(
        r4?.results.map((r) => [
          r.sampleId,
          r.measures?.trial,
          r.values['generation.aggregate_success'],
        ]),
      ).toEqual([
        ['s1', 0, 0],
        ['s1', 1, 1],
      ]);
      await t.close();
    });

    it('keeps the last N runs, finds the last pass-to-fail among all, and decides on --metric', async () => {
      const t = fresh();
      await logPlan(t);
      const h = await t.getSampleHistory('s1', { last: 2, datasetName: 'd' });
      expect([h.runCount, h.runs.map((r) => r.runId), h.lastPassToFail?.runId]).toEqual([
        6,
        ['r6', 'r5'],
        'r4',
      ]);
      // A continuous score with its verdict beside it: the value is the score's mean.
      const c = await t.getSampleHistory('s2', { metric: 'generation.completeness.score' });
      expect(c.metric).toBe('generation.completeness.score');
      expect(c.runs.map((r) => [r.runId, r.value, r.passed])).toEqual([
        ['r5', 1, true],
        ['r4', 1, true],
        ['r3', 1, true],
        ['r2', 1, true],
        ['r1', 0, false],
      ]);
      expect(c.lastPassToFail).toBe(null);
      // A sample that never failed after passing.
      expect((await t.getSampleHistory('s3')).lastPassToFail).toBe(null);
      await t.close();
    });

    it('gives an empty history for an unknown sample, and refuses bad options', async () => {
      const t = fresh();
      await logPlan(t);
      expect(await t.getSampleHistory('nope')).toEqual({
        sampleId: 'nope',
        datasetName: null,
        metric: null,
        passFail: false,
        runCount: 0,
        runs: [],
        lastPassToFail: null,
      });
      expect((await t.getSampleHistory('s1', { datasetName: 'other' })).runs).toEqual([]);
      await expectRefused(
        () => t.getSampleHistory('s1', { last: 0 }),
        'E_INVALID_ARGUMENT',
        'options.last',
      );
      await expectRefused(() => t.getSampleHistory(''), 'E_INVALID_ARGUMENT', 'sampleId');
      await expectError(() => t.getSampleHistory('s1', { lastN: 2 } as never), 'E_UNKNOWN_OPTION');
      await t.close();
      await expectError(() => t.getSampleHistory('s1'), 'E_TRACKER_CLOSED');
    });

    it('refuses a sample id of several datasets without a dataset, naming them', async () => {
      const t = fresh();
      await logPlan(t);
      await t.logBatch([FAIL], 'other', [sample(1)], { runId: 'o1' });
      const e = await expectRefused(
        () => t.getSampleHistory('s1'),
        'E_INVALID_ARGUMENT',
        'options.datasetName',
      );
      expect(e.message).toBe('[evaltrack] sample "s1" is in 2 datasets ("d", "other"): choose one');
      expect(
        (await t.getSampleHistory('s1', { datasetName: 'other' })).runs.map((r) => [
          r.runId,
          r.passed,
        ]),
      ).toEqual([['o1', false]]);
      await t.close();
    });

    it('ranks samples whose outcome flips across the last runs, with Wilson intervals', async () => {
      const t = fresh();
      await logPlan(t);
      const report = await t.getFlakySamples();
      expect({ ...report, flaky: undefined }).toEqual({
        across: 'runs',
        datasetName: 'd',
        metric: 'generation.aggregate_success',
        passFail: true,
        runs: [1, 2, 3, 4, 5, 6].map((i) => ({
          runId: `r${i}`,
          createdAt: at(i),
          modelName: `m${i}`,
        })),
        results: 23,
        scored: 22,
        samples: 5,
        compared: 4,
        flaky: undefined,
      });
      expect(report.flaky.map((f) => f.sampleId)).toEqual(['s1', 's2', 's5']);
      const [s1, s2, s5] = report.flaky;
      expect({ ...s1, interval: undefined }).toEqual({
        sampleId: 's1',
        flips: 3,
        transitions: 4,
        flipRate: 0.75,
        interval: undefined,
        passes: 2,
        outcomes: 5,
        sequence: [true, false, true, false, false],
        lastOutcome: false,
        lastFlip: { runId: 'r4', trial: null },
      });
      expect([round(s1?.interval.low), round(s1?.interval.high)]).toEqual([0.300642, 0.954413]);
      expect([s2?.flips, s2?.transitions, s2?.passes, s2?.outcomes, s2?.lastOutcome]).toEqual([
        1,
        4,
        4,
        5,
        true,
      ]);
      expect([s2?.lastFlip.runId, round(s2?.interval.low), round(s2?.interval.high)]).toEqual([
        'r2',
        0.045587,
        0.699358,
      ]);
      expect([s5?.flipRate, s5?.lastFlip.runId, s5?.lastOutcome]).toEqual([0.25, 'r5', false]);
      // The last 3 runs: s1 fails in r4 (a tie) and r5 (r6 an error), s5 flips once.
      const last3 = await t.getFlakySamples({ last: 3, datasetName: 'd' });
      expect(last3.runs.map((r) => r.runId)).toEqual(['r4', 'r5', 'r6']);
      expect(last3.flaky.map((f) => [f.sampleId, f.flips, f.transitions])).toEqual([['s5', 1, 1]]);
      await t.close();
    });

    it('looks across the trials of one run, in trial order', async () => {
      const t = fresh();
      const trials: [number, number, EvaluationOutput][] = [
        [1, 2, FAIL],
        [1, 0, PASS],
        [2, 1, FAIL],
        [1, 3, FAIL],
        [2, 0, PASS],
        [1, 1, PASS],
        [2, 2, PASS],
        [3, 0, PASS],
        [3, 1, PASS],
      ];
      await t.logBatch(
        trials.map(([, , r]) => r),
        'd',
        trials.map(([i]) => sample(i)),
        { runId: 't1', measures: trials.map(([, trial]) => ({ trial })) },
      );
      await t.logBatch([PASS], 'd', [sample(1)], { runId: 't2' });
      const report = await t.getFlakySamples({ runId: 't1' });
      expect([
        report.across,
        report.runs.map((r) => r.runId),
        report.samples,
        report.compared,
      ]).toEqual(['trials', ['t1'], 3, 3]);
      expect(
        report.flaky.map((f) => [f.sampleId, f.flips, f.transitions, f.sequence, f.lastFlip]),
      ).toEqual([
        ['s2', 2, 2, [true, false, true], { runId: 't1', trial: 2 }],
        ['s1', 1, 3, [true, true, false, false], { runId: 't1', trial: 2 }],
      ]);
      await t.close();
    });

    it('says nothing is flaky when nothing flips, and refuses what it cannot decide', async () => {
      const t = fresh();
      await t.logBatch([PASS, FAIL], 'd', [sample(1), sample(2)], { runId: 'a' });
      await t.logBatch([PASS, FAIL], 'd', [sample(1), sample(2)], { runId: 'b' });
      const report = await t.getFlakySamples();
      expect([report.compared, report.flaky]).toEqual([2, []]);
      await t.logBatch([PASS], 'e', [sample(1)], { runId: 'c' });
      const e = await expectRefused(
        () => t.getFlakySamples(),
        'E_INVALID_ARGUMENT',
        'options.datasetName',
      );
      expect(e.message).toBe('[evaltrack] the store holds 2 datasets ("d", "e"): choose one');
      expect((await t.getFlakySamples({ datasetName: 'nope' })).runs).toEqual([]);
      await expectRefused(
        () => t.getFlakySamples({ runId: 'zz' }),
        'E_INVALID_ARGUMENT',
        'options.runId',
      );
      await expectRefused(
        () => t.getFlakySamples({ last: 1.5 }),
        'E_INVALID_ARGUMENT',
        'options.last',
      );
      await expectError(() => t.getFlakySamples({ run: 'a' } as never), 'E_UNKNOWN_OPTION');
      await t.close();
    });
  });
}
