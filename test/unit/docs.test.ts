// Every finding code the doctor can emit has a docs page, and the README lists it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const emitted = new Set<string>();
for (const file of [...sources(path.join(root, 'src')), ...sources(path.join(root, 'checks'))]) {
  for (const m of readFileSync(file, 'utf8').matchAll(/\bcode:\s*'([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+)'/g)) emitted.add(m[1]!);
}

describe('finding documentation', () => {
  it('finds the codes in the sources (sanity)', () => {
    expect(emitted.size).toBeGreaterThan(5);
    expect(emitted).toContain('doctor.check-timeout');
  });

  it('has a docs/findings page for every code a check can emit, naming who acts', () => {
    const pages = new Set(readdirSync(path.join(root, 'docs/findings')).map((f) => f.replace(/\.md$/, '')));
    const missing = [...emitted].filter((c) => !pages.has(c));
    expect(missing).toEqual([]);
    for (const c of emitted) {
      const text = readFileSync(path.join(root, 'docs/findings', `${c}.md`), 'utf8');
      expect(text.startsWith(`# ${c}`), c).toBe(true);
      expect(text, c).toMatch(/Who acts/);
    }
  });

  it('lists every emitted code in the README', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect([...emitted].filter((c) => !readme.includes(`\`${c}\``))).toEqual([]);
  });
});
