/**
 * Which PostgreSQL failures are transient (worth a retry: the same write may succeed later) and
 * which are permanent (the database refuses the data itself, so retrying would block every later
 * write). The write queue retries the first kind and sets the second aside.
 */
import { EvaltrackError } from '../../errors.js';

/**
 * Whether `e` is transient: connection trouble, a deadlock or serialization failure, a server
 * shutting down or starting, too many connections, or a store I/O error caused by one of these.
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof EvaltrackError) {
    return e.code === 'E_STORE_IO' && e.cause !== undefined && isTransient(e.cause);
  }
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  // node-postgres reports a lost or refused connection without a code.
  if (typeof code !== 'string')
    return /connection|terminated|timeout|not queryable/i.test(e.message);
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('57P') || // server shutting down or starting
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock detected
    code === '53300' || // too many connections
    /^E[A-Z_]+$/.test(code) || // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EAI_AGAIN…
    code.startsWith('ERR_STREAM') // a socket stream that ended
  );
}
