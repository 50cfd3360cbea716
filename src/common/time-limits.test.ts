import { describe, expect, it } from 'vitest';
import { CallTimeoutError, TimeLimits } from './time-limits.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const never = () => new Promise<never>(() => {});

describe('TimeLimits', () => {
  it('times out each call at its own deadline, with one timer re-armed for the next', async () => {
    const stop = new AbortController();
    const limits = new TimeLimits(60, stop.signal);
    const ends: Record<string, string> = {};
    const track = (name: string, p: Promise<unknown>) =>
      p.then(
        (v) => (ends[name] = `resolved ${String(v)}`),
        (e: unknown) => (ends[name] = e instanceof CallTimeoutError ? e.message : String(e)),
      );
    // a settles in time, b hangs; c starts 30 ms later and hangs: it must not expire with b.
    const a = track(
      'a',
      limits.run(() => sleep(10).then(() => 'A'), 'a'),
    );
    const b = track('b', limits.run(never, 'b'));
    await sleep(30);
    const c = track('c', limits.run(never, 'c'));
    await Promise.all([a, b]);
    expect(ends).toEqual({ a: 'resolved A', b: 'b took longer than 60 ms' });
    await c;
    expect(ends['c']).toBe('c took longer than 60 ms');
    stop.abort();
  });

  it('aborts the signal of a call that read it, and passes what a call throws as it is', async () => {
    const stop = new AbortController();
    const limits = new TimeLimits(20, stop.signal);
    let seen: AbortSignal | undefined;
    const timedOut = limits.run((attempt) => {
      seen = attempt.signal;
      return never();
    }, 'reader');
    await expect(timedOut).rejects.toThrow('reader took longer than 20 ms');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(CallTimeoutError);
    const thrown = limits.run(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw 'plain';
    }, 'thrower');
    await expect(thrown).rejects.toBe('plain');
    stop.abort();
  });

  it('keeps no timer once no call waits, and stops every waiting call when stop aborts', async () => {
    const before = timers();
    const stop = new AbortController();
    const limits = new TimeLimits(60_000, stop.signal);
    await limits.run(() => 1, 'quick');
    expect(timers()).toBe(before);
    const waiting = [limits.run(never, 'x'), limits.run(never, 'y')];
    expect(timers()).toBe(before + 1);
    const reason = new Error('over');
    stop.abort(reason);
    for (const p of waiting) await expect(p).rejects.toBe(reason);
    expect(timers()).toBe(before);
    await expect(limits.run(() => 1, 'late')).rejects.toBe(reason);
  });

  it('keeps the queue short when a call hangs while thousands settle behind it', async () => {
    const stop = new AbortController();
    const limits = new TimeLimits(60_000, stop.signal);
    const held = limits.run(never, 'held');
    held.catch(() => {});
    let most = 0;
    for (let i = 0; i < 5000; i++) {
      await limits.run(() => i, 'quick');
      most = Math.max(most, limits.queued);
    }
    // The hanging head is kept; what settled behind it is dropped once 1,024 pile up.
    expect(most).toBe(1026);
    expect(limits.queued).toBeLessThanOrEqual(1026);
    stop.abort();
    await expect(held).rejects.toBeInstanceOf(DOMException);
    expect(limits.queued).toBe(0);
  });
});
