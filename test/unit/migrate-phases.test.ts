/** Migrations cut where ALTER TABLE and row changes meet (DuckDB cannot do both in one transaction), so going up again after a down works with rows in the tables. */
import { expect, test } from 'bun:test';
import { Db } from '../../appliance/store/duckdb';
import { migrate, migrateTo, phasesOf } from '../../appliance/store/migrate';

test('phases: cut at -- commit, and wherever an ALTER and a row change would share a transaction', () => {
  const sql = `-- a comment
ALTER TABLE t ADD COLUMN a INT;
ALTER TABLE t ADD COLUMN b INT;
UPDATE t SET a = 1;
ALTER TABLE t ADD COLUMN c INT;
CREATE TABLE u (x INT);
-- commit
INSERT INTO u VALUES (1);`;
  expect(phasesOf(sql)).toEqual([
    '-- a comment\nALTER TABLE t ADD COLUMN a INT;\nALTER TABLE t ADD COLUMN b INT;',
    'UPDATE t SET a = 1;',
    'ALTER TABLE t ADD COLUMN c INT;\nCREATE TABLE u (x INT);',
    'INSERT INTO u VALUES (1);',
  ]);
});

test('down to 8 and up again with an image stored: every step applies', async () => {
  const db = await Db.open(':memory:');
  await migrate(db);
  await db.run(`INSERT INTO images (id, storage_key, thumb_key, size_bytes, mime, width, height, embedding, model_id, created_at, updated_at, owner, private, preview_key, sha256)
    VALUES (uuid(), 'ab/${'a'.repeat(64)}.jpg', 't', 1, 'image/jpeg', 1, 1, [0.5], 'm', now(), now(), 'u1', false, 'p', 'h')`);
  const down = await migrateTo(db, 8, { acceptLoss: true });
  const up = await migrate(db);
  const row = await db.all<{ owner: string; sha256: string }>('SELECT owner, sha256 FROM images');
  expect([down.reverted.at(-1), up, row]).toEqual([
    9,
    [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    [{ owner: 'box', sha256: 'a'.repeat(64) }],
  ]);
  db.close();
});
