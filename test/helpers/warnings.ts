/** Collects the codes of the process warnings emitted (evaltrack's damage reports) until disposed. */
export function collectWarnings(): { codes: string[] } & Disposable {
  const codes: string[] = [];
  const onWarning = (w: Error & { code?: string }) => codes.push(w.code ?? w.name);
  process.on('warning', onWarning);
  return { codes, [Symbol.dispose]: () => process.off('warning', onWarning) };
}

/** Lets warnings emitted so far reach their listeners (they are delivered on a later tick). */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
