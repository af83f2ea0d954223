/**
 * docs/reliability.md, written by the reliability suite (tests/reliability): each test file records its
 * figures as one section (in afterAll, with the outcome of each of its tests), and the whole document
 * is re-rendered from the sections' data, which it keeps in a comment at its end. Test files run in
 * parallel workers, so updates take a lock directory; each section says when and in which mode
 * (CI or soak) it last ran, so a partial run (one file) updates only its own section.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REPORT_PATH = process.env.RELIABILITY_REPORT ?? join(ROOT, 'docs', 'reliability.md');
const DATA_MARK = '<!-- reliability-data ';

/** SOAK=1 selects the long version of the suite. */
export const SOAK = process.env.SOAK === '1' || process.env.SOAK === 'true';
export const MODE = SOAK ? 'soak' : 'CI';

export type Figure = string | number | boolean | null;

export interface TestOutcome {
  name: string;
  state: string;
  durationMs: number | null;
  error?: string;
}

export interface SectionData {
  key: string;
  title: string;
  order: number;
  mode: string;
  ranAt: string;
  host: string;
  headline: string;
  /** The figures of the "at a glance" table at the top of the report. */
  keys?: Array<[string, Figure]>;
  /** Fault sections count towards "faults survived". */
  fault?: boolean;
  figures: Array<[string, Figure]>;
  tables: Array<{ title: string; head: string[]; rows: Figure[][] }>;
  notes: string[];
  tests: TestOutcome[];
}

interface TaskLike {
  name: string;
  type: string;
  mode?: string;
  tasks?: TaskLike[];
  result?: { state?: string; duration?: number; errors?: Array<{ message?: string }> };
}

function testsOf(task: TaskLike, prefix = ''): TestOutcome[] {
  if (task.type === 'test') {
    const error = task.result?.errors?.[0]?.message;
    return [
      {
        name: `${prefix}${task.name}`,
        state: task.result?.state ?? (task.mode === 'skip' ? 'skip' : 'not run'),
        durationMs: task.result?.duration ?? null,
        ...(error ? { error: error.split('\n')[0]!.slice(0, 300) } : {}),
      },
    ];
  }
  return (task.tasks ?? []).flatMap((t) => testsOf(t, task.type === 'suite' ? `${prefix}${task.name} › ` : prefix));
}

/** Collects one test file's figures; `write(suite)` (in afterAll) puts them into docs/reliability.md. */
export class ReportSection {
  private readonly figures = new Map<string, Figure>();
  private readonly tables: SectionData['tables'] = [];
  private readonly notes: string[] = [];
  private readonly keys = new Map<string, Figure>();
  headline = '';

  constructor(
    readonly key: string,
    readonly title: string,
    readonly order: number,
    readonly opts: { fault?: boolean } = {},
  ) {}

  /** A figure for the "at a glance" table at the top of the report. */
  glance(label: string, value: Figure): this {
    this.keys.set(label, value);
    return this;
  }

  set(label: string, value: Figure): this {
    this.figures.set(label, value);
    return this;
  }

  add(label: string, by: number): this {
    this.figures.set(label, Number(this.figures.get(label) ?? 0) + by);
    return this;
  }

  get(label: string): Figure | undefined {
    return this.figures.get(label);
  }

  table(title: string, head: string[], rows: Figure[][]): this {
    const existing = this.tables.findIndex((t) => t.title === title);
    if (existing >= 0) this.tables.splice(existing, 1);
    this.tables.push({ title, head, rows });
    return this;
  }

  note(text: string): this {
    if (!this.notes.includes(text)) this.notes.push(text);
    return this;
  }

  /** Writes the section (with the outcome of every test of `suite`) into the report. Never throws. */
  async write(suite: unknown): Promise<void> {
    const tests = testsOf(suite as TaskLike);
    const data: SectionData = {
      key: this.key,
      title: this.title,
      order: this.order,
      mode: MODE,
      ranAt: new Date().toISOString(),
      host: `${cpus().length} CPU, load average ${loadavg()[0]!.toFixed(1)}, Node ${process.version}`,
      headline: this.headline,
      keys: [...this.keys],
      fault: this.opts.fault ?? false,
      figures: [...this.figures],
      tables: this.tables,
      notes: this.notes,
      tests,
    };
    try {
      await withLock(() => {
        const sections = readSections();
        sections[this.key] = data;
        const text = render(sections);
        const tmp = `${REPORT_PATH}.${process.pid}.tmp`;
        writeFileSync(tmp, text);
        renameSync(tmp, REPORT_PATH);
      });
    } catch (err) {
      console.warn(`[reliability] could not write ${REPORT_PATH}: ${(err as Error).message}`);
    }
  }
}

async function withLock(fn: () => void): Promise<void> {
  const lock = join(tmpdir(), `analytics-reliability-report.lock`);
  for (const deadline = Date.now() + 30_000; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 20_000) rmdirSync(lock);
      } catch {
        /* gone */
      }
      if (Date.now() > deadline) throw new Error('report lock busy');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readSections(): Record<string, SectionData> {
  let text: string;
  try {
    text = readFileSync(REPORT_PATH, 'utf8');
  } catch {
    return {};
  }
  const at = text.lastIndexOf(DATA_MARK);
  if (at < 0) return {};
  const end = text.indexOf(' -->', at);
  try {
    return JSON.parse(text.slice(at + DATA_MARK.length, end)) as Record<string, SectionData>;
  } catch {
    return {};
  }
}

const cell = (v: Figure | undefined) =>
  v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : String(v)) : String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function render(sections: Record<string, SectionData>): string {
  const list = Object.values(sections).sort((a, b) => a.order - b.order || a.key.localeCompare(b.key));
  const out: string[] = [
    '# Reliability and security — latest run',
    '',
    'Written by the reliability suite (`tests/reliability`), not by hand: `npm test` runs its CI version',
    '(30 s of load, the smaller hostile corpus), `npm run test:soak` the long one (10 min of load, the',
    'large corpus). Each section is rewritten whenever its test file runs, so each carries its own date',
    'and mode. A ❌ is a test that failed in that run; its first error line is shown.',
    '',
    '| Section | Mode | Ran at (UTC) | Tests passed | Figures |',
    '|---|---|---|---|---|',
  ];
  const glance: Array<[string, Figure, string]> = [];
  for (const s of list) for (const [k, v] of s.keys ?? []) glance.push([k, v, s.title]);
  const faults = list.filter((s) => s.fault).flatMap((s) => s.tests);
  if (faults.length) glance.push(['Faults survived', `${faults.filter((t) => t.state === 'pass').length} of ${faults.length}`, 'Faults']);
  if (glance.length) {
    out.splice(out.length - 2, 0, '**At a glance**', '', '| Figure | Value | From |', '|---|---|---|', ...glance.map(([k, v, t]) => `| ${cell(k)} | ${cell(v)} | ${cell(t)} |`), '');
  }
  for (const s of list) {
    const passed = s.tests.filter((t) => t.state === 'pass').length;
    out.push(`| [${s.title}](#${anchor(s.title)}) | ${s.mode} | ${s.ranAt.slice(0, 19).replace('T', ' ')} | ${passed} / ${s.tests.length} | ${cell(s.headline)} |`);
  }
  for (const s of list) {
    out.push('', `## ${s.title}`, '', `${s.mode} run of ${s.ranAt.slice(0, 19).replace('T', ' ')} UTC on ${s.host}.`, '');
    if (s.figures.length) {
      out.push('| Figure | Value |', '|---|---|');
      for (const [k, v] of s.figures) out.push(`| ${cell(k)} | ${cell(v)} |`);
      out.push('');
    }
    for (const t of s.tables) {
      out.push(`**${t.title}**`, '', `| ${t.head.map(cell).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`);
      for (const r of t.rows) out.push(`| ${r.map(cell).join(' | ')} |`);
      out.push('');
    }
    out.push('Tests:', '');
    for (const t of s.tests) {
      const mark = t.state === 'pass' ? '✅' : t.state === 'fail' ? '❌' : '⏭️';
      const secs = t.durationMs === null ? '' : ` (${(t.durationMs / 1000).toFixed(1)} s)`;
      out.push(`- ${mark} ${t.name}${secs}${t.error ? ` — \`${t.error.replace(/`/g, "'")}\`` : ''}`);
    }
    if (s.notes.length) {
      out.push('', 'Notes:', '');
      for (const n of s.notes) out.push(`- ${n}`);
    }
  }
  const json = JSON.stringify(sections).replace(/>/g, '\\u003e');
  out.push('', `${DATA_MARK}${json} -->`, '');
  return out.join('\n');
}

function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .trim()
    .replace(/ /g, '-');
}

/** Percentile of a sorted or unsorted list (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
