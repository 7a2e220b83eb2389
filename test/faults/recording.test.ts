/**
 * Recording's faults caused for real (issue 30): the whole box SIGKILLed while it records (with its
 * ffmpeg children, as systemd's control group would be), the recordings disk filling up (a small
 * tmpfs; needs root), and a camera (the real RTSP server) that drops and comes back. In each the
 * index lists only whole files, loses no whole one, and the timeline shows what is missing as a gap.
 */
import { expect, test } from 'bun:test';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Db } from '../../appliance/store/duckdb';
import { personStream, startAppliance, stream, tempDir, VIDEOS, waitFor } from '../helpers/fixtures';
import { spawnFovea } from '../helpers/process';
import { startRtsp } from '../helpers/rtsp';

const probes = async (path: string) =>
  (await Bun.spawn(['ffprobe', '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], {
    stdout: 'ignore',
    stderr: 'ignore',
  }).exited) === 0;

/** Every segment file under a stream's date folders (relative to the recordings dir). */
async function kept(dir: string, stream: string): Promise<string[]> {
  const out: string[] = [];
  for (const day of await readdir(join(dir, stream)).catch(() => [] as string[])) {
    if (!/^\d{4}-/.test(day)) continue;
    for (const n of await readdir(join(dir, stream, day))) out.push(`${stream}/${day}/${n}`);
  }
  return out.sort();
}

const recorded = (id: string, over: Record<string, unknown> = {}) => ({
  ...personStream(id),
  record: { enabled: true, mode: 'continuous', segment_s: 2 },
  ...over,
});

test('a SIGKILL while recording loses at most the segment being written; the index lists no broken file and loses no whole one', async () => {
  await using dir = await tempDir('fovea-rec-kill-');
  const config = {
    device_id: 'box-r',
    api: { auth: false, rate_limit_per_minute: 1_000_000 },
    backup: { schedule: false },
    recordings: { min_free_mb: 0, check_interval_s: 1 },
    streams: [recorded('door')],
  };
  const recs = join(dir.path, 'recordings');
  {
    await using box = await spawnFovea(dir.path, config, { group: true });
    await waitFor(
      async () => {
        const r = (await (await fetch(`${box.url}/api/recordings`)).json()) as {
          streams?: Array<{ segments: number }>;
        };
        if (!r.streams) throw new Error(JSON.stringify(r));
        return (r.streams[0]?.segments ?? 0) >= 3;
      },
      60_000,
      'three segments indexed',
    );
    await box.kill('SIGKILL');
  }
  const cache = (await readdir(join(recs, 'door', '.cache'))).map((n) => `door/.cache/${n}`);
  const before = [...(await kept(recs, 'door')), ...cache];
  const whole = (await Promise.all(before.map(async (p) => ((await probes(join(recs, p))) ? p : null)))).filter(
    Boolean,
  );
  console.log(`SIGKILL while recording: ${before.length} segment files, ${whole.length} whole`);
  // At most the one being written is cut short.
  expect(before.length - whole.length).toBeLessThanOrEqual(1);
  {
    await using box = await spawnFovea(dir.path, config, { group: true });
    const names = (p: string | null) => p!.split('/').at(-1)!;
    // Every whole file of before the kill is indexed again (moved out of the cache if it was there).
    await waitFor(
      async () =>
        (await kept(recs, 'door')).map(names).filter((n) => whole.map(names).includes(n)).length === whole.length,
      30_000,
      'the whole segments kept',
    );
    await box.kill('SIGTERM');
  }
  const db = await Db.open(join(dir.path, 'fovea.duckdb'));
  try {
    const rows = await db.all<{ path: string }>('SELECT path FROM recording_segments ORDER BY path');
    const files = await kept(recs, 'door');
    // The index and the folders agree, and every indexed file is whole.
    expect(rows.map((r) => r.path)).toEqual(files);
    expect((await Promise.all(files.map((f) => probes(join(recs, f))))).every(Boolean)).toBe(true);
    for (const w of whole) expect(files.map((f) => f.split('/').at(-1))).toContain(w!.split('/').at(-1));
  } finally {
    db.close();
  }
}, 180_000);

test('a full recordings disk stops recording with a clear state while analysis goes on', async () => {
  await using dir = await tempDir('fovea-rec-full-');
  const mnt = join(dir.path, 'small');
  await mkdir(mnt);
  expect(Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=384k', 'tmpfs', mnt]).exitCode).toBe(0);
  try {
    await using app = await startAppliance({
      recordings: { dir: mnt, min_free_mb: 0, check_interval_s: 1 },
      streams: [stream(recorded('door'))],
    });
    const full = await waitFor(
      async () => (await app.rt.recordings.status()).find((s) => s.state === 'disk_full'),
      90_000,
      'recording stopped for a full disk',
    );
    expect(full.last_error).toBe('the disk is full: recording waits for space');
    const analysed = app.rt.streams.view('door')!.frames_analysed;
    await waitFor(() => app.rt.streams.view('door')!.frames_analysed > analysed + 10, 30_000, 'analysis goes on');
    const body = (await (await app.api('/api/recordings')).json()) as { streams: Array<{ state: string }> };
    expect(body.streams[0]!.state).toBe('disk_full');
    // What was kept is whole.
    const files = await kept(mnt, 'door');
    expect(files.length).toBeGreaterThan(0);
    expect((await Promise.all(files.map((f) => probes(join(mnt, f))))).every(Boolean)).toBe(true);
  } finally {
    Bun.spawnSync(['umount', '-l', mnt]);
  }
}, 150_000);

test('a camera that drops and comes back leaves a gap in the timeline, not a broken file', async () => {
  const file = join(VIDEOS, 'one-by-one-person-detection.mp4');
  let cam = await startRtsp({ auth: 'none', file });
  const port = cam.port;
  try {
    await using app = await startAppliance({
      recordings: { min_free_mb: 0, check_interval_s: 1 },
      streams: [
        stream({
          id: 'gate',
          url: cam.url,
          pipeline: 'people',
          realtime: true,
          fps: 2,
          stall_s: 3,
          record: { enabled: true, mode: 'continuous', segment_s: 2 },
        }),
      ],
    });
    const segments = async () => (await app.rt.recordings.status())[0]?.segments ?? 0;
    await waitFor(async () => (await segments()) >= 3, 60_000, 'segments before the drop');
    await cam.stop();
    const downAt = Date.now();
    await waitFor(
      async () => (await app.rt.recordings.status())[0]?.state === 'backoff',
      30_000,
      'the recorder sees the drop',
    );
    await Bun.sleep(4000);
    cam = await startRtsp({ auth: 'none', file, port });
    const n = await segments();
    await waitFor(async () => (await segments()) >= n + 3, 90_000, 'segments after the camera came back');
    const t = (await (await app.api('/api/recordings/gate')).json()) as {
      spans: Array<{ start: string; end: string }>;
    };
    expect(t.spans.length).toBeGreaterThanOrEqual(2);
    const gap = t.spans.findIndex((s, i) => i > 0 && Date.parse(s.start) - Date.parse(t.spans[i - 1]!.end) >= 3000);
    expect(gap).toBeGreaterThan(0);
    expect(Date.parse(t.spans[gap - 1]!.end)).toBeLessThanOrEqual(downAt + 2500);
    const files = await kept(join(app.state, 'recordings'), 'gate');
    expect((await Promise.all(files.map((f) => probes(join(app.state, 'recordings', f))))).every(Boolean)).toBe(true);
    // A clip across the gap is cut from what there is, and says how much is missing.
    const r = await app.api(`/api/recordings/gate/clip.mp4?start=${t.spans[gap - 1]!.start}&end=${t.spans[gap]!.end}`);
    expect(r.status).toBe(200);
    expect(Number(r.headers.get('x-clip-gap-ms'))).toBeGreaterThanOrEqual(3000);
  } finally {
    await cam.stop();
  }
}, 240_000);
