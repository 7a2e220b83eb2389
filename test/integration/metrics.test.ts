/**
 * /metrics from a real appliance analysing a real video, checked by Prometheus's own promtool
 * (format and naming lint), and the example alert rules checked and unit-tested by promtool.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { startAppliance, stream, VIDEOS, waitFor } from '../helpers/fixtures';

const root = join(import.meta.dir, '../..');

async function promtool(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(['promtool', ...args], {
    cwd: join(root, 'ansible/prometheus'),
    stdin: stdin === undefined ? 'ignore' : new Blob([stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  return { code: await p.exited, out: out + err };
}

/** The value of one series in Prometheus text format (labels as written by prom-client). */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
};

test('/metrics: streams, inference, HTTP, files and process figures, valid for promtool', async () => {
  await using app = await startAppliance({
    streams: [stream({ id: 'table', url: join(VIDEOS, 'people-detection_from-gif.mp4'), pipeline: 'people', fps: 5 })],
  });
  await waitFor(
    async () =>
      ((await (await app.api('/api/streams/table')).json()) as { frames_analysed: number }).frames_analysed >= 10,
    60_000,
    'frames analysed',
  );
  expect((await app.api('/api/images/not-an-id')).status).toBe(404);
  expect((await fetch(`${app.url}/api/images`)).status).toBe(401);
  const res = await fetch(`${app.url}/metrics`);
  const text = await res.text();
  expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
  const v = (s: string) => value(text, s);
  expect({
    analysed: v('fovea_stream_frames_analysed_total{stream="table"}')! >= 10,
    decoded:
      v('fovea_stream_frames_decoded_total{stream="table"}')! >=
      v('fovea_stream_frames_analysed_total{stream="table"}')!,
    dropped: v('fovea_stream_frames_dropped_total{stream="table"}'),
    inference: v('fovea_inference_duration_seconds_count{model="yolox-nano@1",provider="cpu"}')! >= 1,
    // The built-in people pipeline is gated on motion: every detector call it counts is an inference
    // (a frame in flight may have run its model before the stream counted it).
    gating: {
      calls:
        v('fovea_stream_detector_calls_total{stream="table"}')! >= 1 &&
        v('fovea_stream_detector_calls_total{stream="table"}')! <=
          v('fovea_inference_duration_seconds_count{model="yolox-nano@1",provider="cpu"}')!,
      skipped: v('fovea_stream_detector_skipped_total{stream="table"}') !== null,
      motion: v('fovea_stream_motion_frames_total{stream="table"}') !== null,
      stationary: v('fovea_stream_stationary_objects{stream="table"}') !== null,
    },
    oneState: ['connecting', 'running', 'backoff', 'unauthorized', 'failed', 'stopped']
      .map((s) => v(`fovea_stream_state{stream="table",state="${s}"}`))
      .reduce((a, b) => a! + b!, 0),
    notFound: v('fovea_http_request_duration_seconds_count{method="GET",route="/api/images/:id",status="404"}'),
    refused: v('fovea_http_request_duration_seconds_count{method="GET",route="unmatched",status="401"}'),
    db: v('fovea_db_file_bytes')! > 0,
    rss: v('fovea_process_resident_memory_bytes')! > 50e6,
  }).toEqual({
    analysed: true,
    decoded: true,
    dropped: 0,
    inference: true,
    gating: { calls: true, skipped: true, motion: true, stationary: true },
    oneState: 1,
    notFound: 1,
    refused: 1,
    db: true,
    rss: true,
  });
  const lint = await promtool(['check', 'metrics'], text);
  expect(lint).toEqual({ code: 0, out: '' });
}, 120_000);

test('the example alert rules are valid and fire on the series they are written for (promtool test rules)', async () => {
  expect((await promtool(['check', 'rules', 'fovea-alerts.yml'])).code).toBe(0);
  const t = await promtool(['test', 'rules', 'fovea-alerts.test.yml']);
  expect([t.code, t.out.includes('SUCCESS')]).toEqual([0, true]);
});

test('api.metrics_auth: /metrics needs a key', async () => {
  await using app = await startAppliance({ api: { metrics_auth: true, rate_limit_per_minute: 1_000_000 } });
  expect([(await fetch(`${app.url}/metrics`)).status, (await app.api('/metrics')).status]).toEqual([401, 200]);
}, 60_000);
