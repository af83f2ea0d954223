/** Exit codes shared by the command-line tools. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad input on the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
