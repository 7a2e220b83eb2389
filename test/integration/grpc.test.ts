/**
 * The runs API over gRPC with a real gRPC client (@grpc/grpc-js, the repo's fovea.proto): photos
 * streamed into a run, its progress streamed back in order to the end, one image detected
 * synchronously, and the same auth and errors as HTTP mapped to gRPC codes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { COCO, IMAGES, startAppliance, type Appliance } from '../helpers/fixtures';
import { keyMeta as meta, runsClient, type RunsClient } from '../helpers/grpc';

// biome-ignore lint/suspicious/noExplicitAny: messages are read field by field
type Msg = Record<string, any>;

let app: Appliance;
let client: RunsClient;
const PHOTOS = readdirSync(COCO)
  .filter((f) => f.endsWith('.jpg'))
  .sort();

beforeAll(async () => {
  app = await startAppliance({ grpc: { enabled: true, port: 0 }, runs: { max_files: 10 } });
  client = runsClient(app.grpcPort!);
}, 60_000);

afterAll(async () => {
  client?.close();
  await app?.[Symbol.asyncDispose]();
});

function submit(key: string | null, spec: object, files: Array<[string, Uint8Array]>): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const call = client.Submit(meta(key), (e: grpc.ServiceError | null, v: Msg) => (e ? reject(e) : resolve(v)));
    call.write({ spec_json: JSON.stringify(spec) });
    for (const [name, data] of files) call.write({ image: { name, data: Buffer.from(data) } });
    call.end();
  });
}

function watch(key: string | null, runId: string): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const got: Msg[] = [];
    const call = client.Watch({ run_id: runId }, meta(key));
    call.on('data', (m: Msg) => got.push({ ...m, payload: JSON.parse(m.payload_json) }));
    call.on('end', () => resolve(got));
    call.on('error', reject);
  });
}

const detect = (key: string | null, req: object): Promise<Msg> =>
  new Promise((resolve, reject) =>
    client.Detect(req, meta(key), (e: grpc.ServiceError | null, v: Msg) => (e ? reject(e) : resolve(v))),
  );

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: grpc.ServiceError) => [e.code, e.details],
  );

describe('grpc', () => {
  test('photos streamed into a run; its progress streamed back in order to the end', async () => {
    const files = await Promise.all(
      PHOTOS.slice(0, 6).map(async (n) => [n, await Bun.file(join(COCO, n)).bytes()] as [string, Uint8Array]),
    );
    const accepted = await submit(app.key, { pipeline: 'objects', label: 'grpc' }, files);
    const events = await watch(app.key, accepted.run_id);
    const last = events.at(-1)!;
    const run = (await (await app.api(`/api/runs/${accepted.run_id}`)).json()) as Msg;
    expect({
      accepted: [accepted.status, accepted.total, accepted.created],
      seqs: events.map((e) => e.seq).every((s, i, a) => i === 0 || s > a[i - 1]),
      last: [last.event, last.payload.status, last.payload.done],
      steps: events.some((e) => e.event === 'stepSucceeded'),
      http: [run.status, run.label, run.counts],
    }).toEqual({
      accepted: ['queued', 6, true],
      seqs: true,
      last: ['runProgress', 'succeeded', 6],
      steps: true,
      http: ['succeeded', 'grpc', { succeeded: 6 }],
    });
    // Watching a finished run sends where it ended, then ends.
    const again = await watch(app.key, accepted.run_id);
    expect(again.map((e) => [e.event, e.payload.status, e.payload.done])).toEqual([['runProgress', 'succeeded', 6]]);
  }, 60_000);

  test('one image detected synchronously: the dog, with its box, nothing stored', async () => {
    const data = await Bun.file(join(IMAGES, 'dog.jpg')).bytes();
    const before = (await (await app.api('/api/runs')).json()) as Msg;
    const out = await detect(app.key, { pipeline: 'objects', image: { name: 'dog.jpg', data: Buffer.from(data) } });
    const strict = await detect(app.key, {
      pipeline: 'objects',
      overrides_json: JSON.stringify({ 'detect.score': 0.95 }),
      image: { data: Buffer.from(data) },
    });
    const after = (await (await app.api('/api/runs')).json()) as Msg;
    const dog = out.detections.find((d: Msg) => d.label === 'dog');
    expect({
      dog: !!dog && dog.score > 0.5 && dog.box.length === 4,
      size: [out.width, out.height],
      fewer: strict.detections.length < out.detections.length,
      runs: after.total - before.total,
    }).toEqual({ dog: true, size: [768, 576], fewer: true, runs: 0 });
  }, 30_000);

  test('the same auth and errors as HTTP, as gRPC status codes', async () => {
    const img = { data: Buffer.from(await Bun.file(join(IMAGES, 'dog.jpg')).bytes()) };
    const reader = await app.rt.keys.create('runs-reader', { scopes: ['runs:read'] });
    const cases = {
      noKey: await code(detect(null, { pipeline: 'objects', image: img })),
      badKey: await code(detect('fov_not_a_key', { pipeline: 'objects', image: img })),
      readOnly: await code(detect(reader, { pipeline: 'objects', image: img })),
      badOverride: await code(
        detect(app.key, { pipeline: 'objects', overrides_json: '{"detect.score": 7}', image: img }),
      ),
      notImage: await code(detect(app.key, { pipeline: 'objects', image: { data: Buffer.from('hello') } })),
      unknownRun: await code(watch(app.key, '01234567-89ab-7def-8123-456789abcdef')),
      noSpec: await code(submit(app.key, {}, [])),
      tooMany: await code(
        submit(
          app.key,
          { pipeline: 'objects' },
          Array.from({ length: 11 }, (_, i) => [`${i}.jpg`, new Uint8Array(img.data)] as [string, Uint8Array]),
        ),
      ),
    };
    expect(cases).toEqual({
      noKey: [grpc.status.UNAUTHENTICATED, expect.stringMatching(/API key/)],
      badKey: [grpc.status.UNAUTHENTICATED, 'the API key is not valid'],
      readOnly: [grpc.status.PERMISSION_DENIED, expect.stringMatching(/runs:write/)],
      badOverride: [grpc.status.INVALID_ARGUMENT, expect.stringMatching(/objects\.yaml:\d+.*score/)],
      notImage: [grpc.status.INVALID_ARGUMENT, expect.stringMatching(/not a JPEG, PNG or WebP/)],
      unknownRun: [grpc.status.NOT_FOUND, expect.stringMatching(/not found/)],
      noSpec: [grpc.status.INVALID_ARGUMENT, expect.stringMatching(/pipeline/)],
      tooMany: [grpc.status.RESOURCE_EXHAUSTED, expect.stringMatching(/more than 10/)],
    });
  }, 30_000);
});
