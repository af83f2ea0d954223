import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const files = (dir: string) => readdirSync(`${ROOT}/${dir}`, { recursive: true, encoding: 'utf8' });

// The test run's global setup has just run `npm run build`, as `npm start` does.
describe('npm run build', () => {
  it('compiles every module of src/ to dist/ and none of the unit tests beside them', () => {
    const sources = files('src').filter((f) => f.endsWith('.ts'));
    const built = new Set(files('dist').filter((f) => f.endsWith('.js')));
    const modules = sources.filter((f) => !f.endsWith('.test.ts'));
    expect(modules).toContain('main.ts');
    expect(modules.filter((f) => !built.has(f.replace(/\.ts$/, '.js')))).toEqual([]);
    expect([...built].filter((f) => f.endsWith('.test.js'))).toEqual([]);
    expect(sources.length).toBeGreaterThan(modules.length); // there are unit tests beside the code to leave out
  });
});
