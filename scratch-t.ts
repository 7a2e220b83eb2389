import { Db } from './appliance/store/duckdb';
import { migrate } from './appliance/store/migrate';
import { recordBatch } from './appliance/store/analytics';
const db = await Db.open(`/tmp/an/t.duckdb`);
await migrate(db);
const basis = { timeZone: 'UTC', independenceS: 1800 };
const KINDS = ['varchar','varchar','varchar','timestamptz','varchar','float','float','float','float','float','bigint','varchar'] as any;
async function batch(mode: string) {
  const id = Bun.randomUUIDv7();
  const rows = Array.from({length: 5}, (_, i) => [id, id, 'cam', new Date(), 'person', 0.9, 0,0,1,1, i, null]);
  if (mode === 'plain') { await db.append('detections', KINDS, rows); return; }
  await db.transaction(async (tx) => {
    await tx.append('detections', KINDS, rows);
    if (mode === 'full') await recordBatch(tx, basis, { results: { lo: id, hi: id, ids: [id] } });
  });
}
for (const mode of ['plain', 'tx', 'full', 'plain', 'tx', 'full']) {
  const t = performance.now();
  for (let i = 0; i < 200; i++) await batch(mode);
  console.log(mode, ((performance.now() - t) / 200).toFixed(2), 'ms per batch');
}
db.close();
