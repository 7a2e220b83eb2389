/** @module /api/backup (admins: backup:admin): take a backup now; list the backups and the last outcome. */
import { Elysia } from 'elysia';
import type { Backups } from '../backup/service';

export const backupApi = (b: Backups) =>
  new Elysia({ name: 'api-backup', prefix: '/api/backup', detail: { tags: ['backup'] } })
    .get(
      '/',
      async () => ({
        dir: b.s.dir,
        schedule: b.s.schedule ? { at: b.s.at, next_at: b.nextAt?.toISOString() ?? null } : null,
        keep: b.s.keep,
        last: b.last,
        backups: await b.list(),
      }),
      { detail: { summary: 'Backups on this box, the schedule and the last outcome' } },
    )
    .post(
      '/',
      async ({ set }) => {
        const m = await b.run();
        set.status = 201;
        return m;
      },
      {
        detail: { summary: 'Take a backup now (a consistent snapshot while the box runs); answers with its manifest' },
      },
    );
