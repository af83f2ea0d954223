import pg from 'pg';
import { connectPostgres } from '../../src/db/client.js';
import { computeMetrics } from '../../src/metrics/metrics.engine.js';
import { periodContaining } from '../../src/metrics/periods.js';
import { floorSql, floorMetrics, compareSections, type FloorRow } from '../floor.sql.js';
const dbName = process.argv[2]!; const date = process.argv[3]!;
const url = `postgres://postgres@127.0.0.1:5432/${dbName}` + (process.argv[4] === 'nojit' ? '?options=-c%20jit%3Doff' : '');
const c = new pg.Client({ connectionString: url }); await c.connect();
const database = connectPostgres(url);
const teams = (await c.query('select id, timezone from teams order by id')).rows;
const windows = teams.map((t: any) => { const p = periodContaining(date, 'Daily', t.timezone); return { teamId: t.id, start: p.start, end: p.end }; });
for (let i = 0; i < 2; i++) {
let t0 = performance.now();
const eng = await computeMetrics(database, { windows, teamWide: true, accounts: 'all' });
const te = performance.now() - t0;
t0 = performance.now();
const fl = (await c.query<FloorRow>(floorSql({ accounts: true }), [windows.map(w => w.teamId), windows.map(w => w.start.toISOString()), windows.map(w => w.end.toISOString())])).rows;
const tf = performance.now() - t0;
const byKey = new Map(fl.map(r => [`${r.team_id}:${r.account_id}`, r]));
const diffs: string[] = [];
for (const e of eng) { const f = byKey.get(`${e.teamId}:${e.whatsappAccountId}`); if (!f) { diffs.push('missing ' + e.teamId); continue; } diffs.push(...compareSections(`${e.teamId}/${e.whatsappAccountId}`, e.metrics as any, floorMetrics(f))); }
console.log({ engineMs: te.toFixed(0), floorMs: tf.toFixed(0), scopes: eng.length, floorScopes: fl.length, diffs: diffs.length, msgs: eng.filter(e => !e.whatsappAccountId).reduce((a, e) => a + e.metrics.messages.total, 0) });
console.log(diffs.slice(0, 10).join('\n'));
}
await c.end(); await database.close();
