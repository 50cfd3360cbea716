import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

const fakeStream = (isTTY: boolean) => {
  const stream = Object.assign(new PassThrough(), {
    isTTY,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
};

describe('progress', () => {
  it('writes plain lines when not on a terminal, ending with the totals', () => {
    const out = fakeStream(false);
    const p = createProgress(3, true, { stream: out.stream });
    p.add();
    p.add(1, 1);
    p.add();
    p.stop();
    expect(out.text()).toMatch(
      /^evaluating 3\/3 samples \(100%\), [\d.]+\/s, ETA 0 s, 1 failed\n$/,
    );
  });

  it('draws a bar with rate and ETA on a terminal', () => {
    const out = fakeStream(true);
    const p = createProgress(2, true, { stream: out.stream });
    p.add();
    p.add();
    p.stop();
    expect(out.text()).toMatch(/evaluating .* 2\/2 samples \| [\d.]+\/s \| ETA 0s \| 0 failed/);
  });

  it('counts any unit, without failures when there are none to count', () => {
    const out = fakeStream(false);
    const p = createProgress(1000, true, {
      stream: out.stream,
      verb: 'copying',
      unit: 'results',
      failures: false,
    });
    p.add(1000);
    p.stop();
    expect(out.text()).toMatch(/^copying 1000\/1000 results \(100%\), [\d.]+\/s, ETA 0 s\n$/);
  });

  it('says nothing when turned off', () => {
    const out = fakeStream(false);
    const p = createProgress(2, false, { stream: out.stream });
    p.add();
    p.stop();
    expect(out.text()).toBe('');
  });
});
