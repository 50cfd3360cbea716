/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`, …), or `undefined` for any other value. */
export const errnoOf = (e: unknown): string | undefined =>
  (e as NodeJS.ErrnoException | undefined)?.code;
