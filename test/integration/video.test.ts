/**
 * Real ffmpeg on the real sample videos through the built-in pipelines, into DuckDB and the API.
 * Files run with realtime: false, so every sampled frame is analysed (the result is deterministic).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { VIDEOS, form, startAppliance, stream, waitFor, type Appliance } from '../helpers/fixtures';

const finished = (app: Appliance, id: string) => waitFor(() => app.rt.streams.get(id)?.view().state === 'stopped' && app.rt.streams.get(id)!.view(), 120_000, `stream ${id} to finish`);

type EventItem = { type: string; label: string; track_id: number | null; snapshot_url: string | null; image_id: string | null; zone: string | null };

describe('video pipelines', () => {
  test('the person video yields tracked persons, enter/leave events with snapshots, searchable by photo', async () => {
    await using app = await startAppliance({ streams: [stream({ id: 'table', url: join(VIDEOS, 'one-by-one-person-detection.mp4'), pipeline: 'people', fps: 2 })] });
    const view = await finished(app, 'table');
    await app.rt.sink.flush();
    const dets = await app.rt.db.all<{ label: string; n: bigint; tracks: bigint }>(`SELECT label, count(*) AS n, count(DISTINCT track_id) AS tracks FROM detections GROUP BY label`);
    const events = ((await (await app.api('/api/events?limit=500&stream=table')).json()) as { items: EventItem[] }).items;
    const enters = events.filter((e) => e.type === 'enter');
    const leaves = events.filter((e) => e.type === 'leave');
    const person = dets.find((d) => d.label === 'person')!;
    expect([view.frames_analysed > 200, view.dropped, dets.map((d) => d.label), Number(person.n) > 5 * Number(person.tracks)]).toEqual([true, 0, ['person'], true]);
    expect([enters.length >= 1, leaves.length >= 1, new Set(enters.map((e) => e.track_id)).size === enters.length]).toEqual([true, true, true]);
    expect(enters.every((e) => e.snapshot_url && e.image_id)).toBe(true);
    // The snapshot is an indexed image: uploading it finds the event's snapshot first.
    const snap = await app.api(new URL(enters[0]!.snapshot_url!).pathname);
    const res = await app.api('/api/search', { method: 'POST', body: form({ file: new Blob([await snap.arrayBuffer()]), limit: '1', tags: 'snapshot' }) });
    expect(((await res.json()) as { results: Array<{ image_id: string }> }).results[0]!.image_id).toBe(enters[0]!.image_id!);
  }, 180_000);

  test('the bottle video yields bottles through the objects pipeline', async () => {
    await using app = await startAppliance({ streams: [stream({ id: 'bottles', url: join(VIDEOS, 'bottle-detection.mp4'), pipeline: 'objects', fps: 2 })] });
    await finished(app, 'bottles');
    await app.rt.sink.flush();
    const labels = (await app.rt.db.all<{ label: string }>(`SELECT label FROM detections GROUP BY label ORDER BY count(*) DESC`)).map((r) => r.label);
    expect(labels[0]).toBe('bottle');
    const res = (await (await app.api('/api/streams/bottles')).json()) as { state: string; url: string; frames_decoded: number };
    expect([res.state, res.url, res.frames_decoded > 50]).toEqual(['stopped', join(VIDEOS, 'bottle-detection.mp4'), true]);
  }, 180_000);
});
