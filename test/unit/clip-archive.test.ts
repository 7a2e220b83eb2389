/** Which items' clips go to the bucket and when: after the post-roll is recorded, by the stream's upload rule, once. */
import { expect, test } from 'bun:test';
import { ClipArchive, severitiesOf, type ArchiveDeps } from '../../appliance/record/archive';
import { AppError } from '../../appliance/shared/errors';
import { createLogger } from '../../appliance/shared/log';

test('a clip is cut once the post-roll is indexed (or 10 min on); no recording: skipped for the run; the rule picks severities', async () => {
  let now = 100_000;
  let until = 0;
  const todo = [
    { id: 'a', stream: 'cam', start: 10_000, end: 20_000 },
    { id: 'b', stream: 'cam', start: 30_000, end: 40_000 },
  ];
  const kept: string[] = [];
  const cut: Array<[number, number]> = [];
  const asked: string[][] = [];
  const d: ArchiveDeps = {
    streams: () => [{ id: 'cam', upload: 'alerts', preS: 5, postS: 10 }],
    clipless: async (_s, sev) => {
      asked.push(sev);
      return todo.filter((t) => !kept.includes(t.id));
    },
    clip: async (_s, start, end) => {
      if (start === 25_000) throw new AppError('not_found', 'no recording');
      cut.push([start, end]);
      return { path: '/x.mp4', start, end, gapMs: 0 };
    },
    keep: async (id) => {
      kept.push(id);
    },
    indexedUntil: async () => until,
    now: () => now,
    log: createLogger({ test: true }),
  };
  const a = new ClipArchive(d);
  expect(await a.pass()).toBe(0);
  until = 30_000;
  expect(await a.pass()).toBe(1);
  expect([kept, cut]).toEqual([['a'], [[5_000, 30_000]]]);
  until = 50_000;
  expect(await a.pass()).toBe(0);
  now = 10 * 60_000 + 60_000;
  expect(await a.pass()).toBe(0);
  expect(asked[0]).toEqual(['alert']);
  expect([severitiesOf('all'), severitiesOf('none')]).toEqual([['alert', 'detection'], []]);
});
