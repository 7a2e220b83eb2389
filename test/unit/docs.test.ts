/**
 * The reference pages that mirror code are current: each page in docs/reference/ equals what
 * scripts/docs.ts generates from the code now (run `bun scripts/docs.ts` after changing the schema,
 * a stage, a route, a metric or a path). Also: the README stays a front door, not a manual.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PAGES, REFERENCE_DIR } from '../../scripts/docs';

describe('generated docs', () => {
  for (const [file, page] of Object.entries(PAGES)) {
    test(`docs/reference/${file} is current (bun scripts/docs.ts regenerates it)`, () => {
      expect(readFileSync(join(REFERENCE_DIR, file), 'utf8')).toEqual(page());
    });
  }

  test('the README stays about 10 KB', () => {
    expect(statSync(join(import.meta.dir, '../../README.md')).size).toBeLessThan(12 * 1024);
  });
});
