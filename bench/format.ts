/** Number formats and result look-ups shared by the report and its findings. */
import type { Results } from './report.js';
import { median } from './lib.js';

export const fmtMs = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '—' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
export const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
export const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');
export const mark = (p: boolean | null) => (p === null ? 'n/a' : p ? '**pass**' : '**FAIL**');
export const medOf = (r: Results) => (k: string) => (r.samples[k]?.length ? median(r.samples[k]!) : NaN);
export const httpOf = (r: Results | null | undefined) => {
  const h = r?.http;
  if (!h || h.notMeasured || !h.configs?.length) return null;
  return {
    h,
    g: h.configs.find((c) => c.name === 'gateway')!,
    bare: h.configs.find((c) => c.name === 'bare')!,
    merc: h.configs.find((c) => c.name === 'mercurius')!,
  };
};

export const planning = (plan: string) => Number(/Planning Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
export const execution = (plan: string) => Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
/** Tables the plan reads whole (Seq Scan), with the rows each returned. */
export function fullScans(plan: string): string {
  const seen = new Map<string, number>();
  for (const m of plan.matchAll(/(?:Parallel )?Seq Scan on (\w+) \w+ .*?actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)/g)) {
    seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + Number(m[2]) * Number(m[3]));
  }
  return seen.size ? [...seen].map(([t, n]) => `${t} (${fmtInt(n)} rows)`).join(', ') : 'none';
}

