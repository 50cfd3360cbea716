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
    const p = createProgress(3, true, out.stream);
    p.tick(false);
    p.tick(true);
    p.tick(false);
    p.stop();
    expect(out.text()).toMatch(/^3\/3 evaluated \(100%\), [\d.]+\/s, ETA 0 s, 1 failed\n$/);
  });

  it('draws a bar with rate and ETA on a terminal', () => {
    const out = fakeStream(true);
    const p = createProgress(2, true, out.stream);
    p.tick(false);
    p.tick(false);
    p.stop();
    expect(out.text()).toMatch(/evaluating .* 2\/2 \| [\d.]+\/s \| ETA 0s \| 0 failed/);
  });

  it('says nothing when turned off', () => {
    const out = fakeStream(false);
    const p = createProgress(2, false, out.stream);
    p.tick(false);
    p.stop();
    expect(out.text()).toBe('');
  });
});
