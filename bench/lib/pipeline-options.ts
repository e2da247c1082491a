// The pipeline bench's options, read from the environment (bench/pipeline-bench.ts lists them).
export const roundCount = Math.max(1, Number(process.env.PIPELINE_ROUNDS ?? 3));
export const warmups = Math.max(1, Number(process.env.PIPELINE_WARMUP ?? 1));
export const pgStatements = process.env.PIPELINE_PG_STATEMENTS === '1';
/** PIPELINE_PG_SETTINGS='wal_init_zero=off …': extra PostgreSQL settings for the bench's server. */
export const pgSettings = (process.env.PIPELINE_PG_SETTINGS ?? '')
  .split(/\s+/)
  .filter((x) => x !== '')
  .flatMap((x) => ['-c', x]);
