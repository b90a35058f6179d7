// The numbers of `synclog summarize` with DuckDB (@duckdb/node-api, two
// threads): one scan of read_ndjson with explicit columns, every section
// aggregated in that scan with GROUPING SETS, canonical TSV on stdout (see
// summarize.awk for the lines), unsorted.
//
//   NODE_PATH=DIR/node_modules node summarize-duckdb.js NOW LOG...
//
// ts is read as a TIMESTAMP: every ts synclog writes is UTC with "Z" (DuckDB
// without its icu extension, which is not bundled, has no time zones).
'use strict';
const { DuckDBInstance } = require('@duckdb/node-api');

const [now, ...logs] = process.argv.slice(2);
if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(now || '') || logs.length === 0) {
  console.error('usage: node summarize-duckdb.js NOW(YYYY-MM-DDTHH:MM:SSZ) LOG...');
  process.exit(2);
}
const lit = (s) => `'${s.replace(/'/g, "''")}'`;
const NOW = `TIMESTAMP ${lit(now.slice(0, 19).replace('T', ' '))}`;
const FIRST_HOUR = `(date_trunc('hour', ${NOW}) - INTERVAL 23 HOUR)`;
const FIRST_DAY = `(date_trunc('day', ${NOW}) - INTERVAL 6 DAY)`;
const WEEK_AGO = `(${NOW} - INTERVAL 7 DAY)`;
const RFC3339 = `'%Y-%m-%dT%H:%M:%SZ'`;

const sql = `
WITH ev AS (
  SELECT ts, op, repo, "trigger", machine, coalesce(status, 'ok') AS status, error, bytes,
         ordinality AS line
  FROM read_ndjson([${logs.map(lit).join(', ')}], format = 'newline_delimited', columns = {
    ts: 'TIMESTAMP', op: 'VARCHAR', repo: 'VARCHAR', "trigger": 'VARCHAR',
    machine: 'VARCHAR', status: 'VARCHAR', error: 'VARCHAR', bytes: 'BIGINT'}) WITH ORDINALITY
  WHERE ts <= ${NOW}
),
agg AS (
  SELECT hour, day, week_repo, machine, week_trigger,
         count(*) AS runs,
         count(*) FILTER (WHERE status = 'error') AS errors,
         sum(bytes) FILTER (WHERE op = 'push') AS pushed,
         sum(bytes) FILTER (WHERE op = 'pull') AS pulled,
         max(ts) FILTER (WHERE op = 'push' AND status = 'ok') AS last_success,
         -- the latest error; of errors in the same second, the later line wins
         arg_max(error, (ts, line)) FILTER (WHERE status = 'error') AS last_error
  FROM (
    SELECT *,
           CASE WHEN op = 'push' AND ts >= ${FIRST_HOUR} THEN date_trunc('hour', ts) END AS hour,
           CASE WHEN status = 'ok' AND ts >= ${FIRST_DAY} THEN date_trunc('day', ts) END AS day,
           CASE WHEN ts >= ${WEEK_AGO} THEN repo END AS week_repo,
           CASE WHEN ts >= ${WEEK_AGO} THEN "trigger" END AS week_trigger
    FROM ev)
  GROUP BY GROUPING SETS ((hour), (day), (week_repo), (machine), (week_trigger))
),
hours AS (SELECT unnest(range(${FIRST_HOUR}, ${FIRST_HOUR} + INTERVAL 24 HOUR, INTERVAL 1 HOUR)) AS hour),
days AS (SELECT unnest(range(${FIRST_DAY}, ${FIRST_DAY} + INTERVAL 7 DAY, INTERVAL 1 DAY)) AS day)
SELECT 'pushes_per_hour', strftime(hours.hour, ${RFC3339}), coalesce(runs, 0)::VARCHAR, coalesce(errors, 0)::VARCHAR, NULL
FROM hours LEFT JOIN agg ON agg.hour = hours.hour
UNION ALL
SELECT 'bytes_per_day', strftime(days.day, '%Y-%m-%d'), coalesce(pushed, 0)::VARCHAR, coalesce(pulled, 0)::VARCHAR, NULL
FROM days LEFT JOIN agg ON agg.day = days.day
UNION ALL
SELECT 'repos', week_repo, runs::VARCHAR, errors::VARCHAR, coalesce(last_error, 'null')
FROM agg WHERE week_repo IS NOT NULL
UNION ALL
SELECT 'machines', machine, coalesce(strftime(last_success, ${RFC3339}), 'null'), NULL, NULL
FROM agg WHERE machine IS NOT NULL
UNION ALL
SELECT 'triggers', week_trigger, runs::VARCHAR, errors::VARCHAR, NULL
FROM agg WHERE week_trigger IS NOT NULL`;

async function main() {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await db.connect();
  const reader = await con.runAndReadAll(sql);
  const lines = reader.getRows().map((row) => row.filter((v) => v !== null).join('\t'));
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  console.error(`summarize-duckdb: ${err.message}`);
  process.exit(1);
});
