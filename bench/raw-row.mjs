// The raw baselines' row of a result, shared by the SQLite and PostgreSQL sections.

/**
 * The raw side's row of a result: serialised as any code inserting results must (its JSON), with
 * no checks, an id of the caller's making, and no aggregates.
 */
export const rawRow = (r, resultId, runId) => [
  resultId,
  runId,
  r.data.id,
  'rag',
  'bench',
  new Date().toISOString(),
  'generation',
  r.metadata.model_name,
  '{}',
  JSON.stringify(r.data),
  JSON.stringify(r.metadata),
  JSON.stringify(r.evaluationResult),
];
