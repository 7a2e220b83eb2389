import { describe, expect, test } from 'bun:test';
import { Metrics } from '../../appliance/metrics/prom';

describe('Metrics', () => {
  test('each async source is read once per scrape, however many gauges show it', async () => {
    const m = new Metrics();
    const calls = { sync: 0, files: 0 };
    m.bind({
      streams: () => [],
      mqtt: () => null,
      retention: () => null,
      fleet: () => null,
      ws: () => null,
      sync: async () => {
        calls.sync++;
        return { state: 'ok', pending: 3, pending_bytes: 9, oldest_pending_age_s: 4, uploaded: 7, uploaded_bytes: 1 };
      },
      files: async () => {
        calls.files++;
        return { db_bytes: 5, objects_bytes: 6 };
      },
    });
    const text = await m.text();
    await m.text();
    const v = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect([
      calls,
      v('fovea_sync_pending_objects'),
      v('fovea_sync_oldest_pending_age_seconds'),
      v('fovea_sync_up'),
      v('fovea_db_file_bytes'),
      v('fovea_objects_local_bytes'),
    ]).toEqual([{ sync: 2, files: 2 }, 3, 4, 1, 5, 6]);
  });
});
