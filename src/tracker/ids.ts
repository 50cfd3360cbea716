/**
 * Identities: run ids in the gllm-evals format, time-sortable result ids, and sample ids that stay
 * the same across runs so results can be paired sample by sample.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';

/** `{projectName}_{datasetName}_{8 lowercase hex}`, as gllm-evals makes them. */
export function makeRunId(projectName: string, datasetName: string): string {
  return `${projectName}_${datasetName}_${randomBytes(4).toString('hex')}`;
}

/** The project a gllm-evals style run id was made for, or `null` when it is not of that form. */
export function projectOfRunId(runId: string, datasetName: string): string | null {
  const suffix = `_${datasetName}_`;
  const at = runId.length - suffix.length - 8;
  if (at <= 0 || runId.slice(at, at + suffix.length) !== suffix) return null;
  return /^[0-9a-f]{8}$/.test(runId.slice(at + suffix.length)) ? runId.slice(0, at) : null;
}

// A pool of random bytes: one syscall per 4 KiB instead of one per id.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
let lastMs = -1;
let sequence = 0;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function formatUuid(b: Buffer): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[b[i] ?? 0];
  }
  return out;
}

const uuidBytes = Buffer.alloc(16);

function uuidV7(ms: number, randA: number, randB: Buffer): string {
  const b = uuidBytes;
  b.writeUIntBE(ms, 0, 6);
  b.writeUInt16BE(0x7000 | (randA & 0x0fff), 6);
  randB.copy(b, 8, 0, 8);
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  return formatUuid(b);
}

/**
 * A new UUIDv7. Within one millisecond the 12-bit `rand_a` field counts up (RFC 9562, method 1),
 * so ids made by one process sort in the order they were made.
 */
export function newResultId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0x0fff) {
    // More than 4,096 ids in one millisecond: borrow the next one, as the RFC allows.
    lastMs++;
    sequence = 0;
  }
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const id = uuidV7(lastMs, sequence, pool.subarray(poolAt, poolAt + 8));
  poolAt += 8;
  return id;
}

/**
 * A stable UUIDv7-shaped id for a row that was written without one (by the Python tracker), made
 * from the row's own content so that every read, and every copy between stores, gives the same id.
 */
export function resultIdFromContent(timestamp: string, content: string): string {
  const parsed = Date.parse(timestamp);
  const ms = Number.isFinite(parsed) && parsed >= 0 ? parsed : 0;
  const digest = createHash('sha256').update(content).digest();
  return uuidV7(ms, digest.readUInt16BE(0), digest.subarray(2, 10));
}

/** JSON with object keys sorted, so equal values hash alike whatever their key order. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * The sample's id: `data.id`, `data.sample_id` or `data.question_id` when present, else a hash of
 * the sample's input and expected output (`input ?? query`, `expected_output ?? expected_response`),
 * so the same question gets the same id in every run.
 */
export function sampleIdOf(data: Record<string, unknown>): string {
  for (const key of ['id', 'sample_id', 'question_id']) {
    const v = data[key];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  const input = data['input'] ?? data['query'] ?? null;
  const expected = data['expected_output'] ?? data['expected_response'] ?? null;
  return createHash('sha256').update(canonicalJson({ expected, input })).digest('hex').slice(0, 16);
}
