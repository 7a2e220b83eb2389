/**
 * gRPC has HTTP's limits, on a real appliance with a real gRPC client: the same rate buckets per
 * key and address (a key cannot buy a second minute by switching doors), the same total size per
 * submit as POST /api/runs, and an unauthenticated Submit is answered and no longer read at once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { COCO, startAppliance, type Appliance } from '../helpers/fixtures';
import { keyMeta as meta, runsClient } from '../helpers/grpc';

// biome-ignore lint/suspicious/noExplicitAny: the client is built from the .proto at run time
type Json = Record<string, any>;
let app: Appliance;
let client: Json;
const PER_MINUTE = 20;
const PHOTO = new Uint8Array(readFileSync(join(COCO, '000000000139.jpg')));

beforeAll(async () => {
  app = await startAppliance({
    api: { auth: true, rate_limit_per_minute: PER_MINUTE, max_upload_bytes: 512 * 1024 },
    grpc: { enabled: true, port: 0 },
    runs: { max_request_bytes: 1024 * 1024, max_files: 50 },
  });
  client = runsClient(app.grpcPort!);
}, 120_000);

afterAll(async () => {
  client?.close();
  await app?.[Symbol.asyncDispose]();
});

/** A Submit that writes images for as long as the call is open; what it wrote and how it ended. */
function flood(key: string | null, image: Uint8Array, limitBytes: number) {
  return new Promise<{ code: number; written: number; ms: number }>((resolve) => {
    const t0 = performance.now();
    let written = 0;
    let open = true;
    const call = client.Submit(meta(key), (e: grpc.ServiceError | null) => {
      open = false;
      resolve({ code: e?.code ?? 0, written, ms: Math.round(performance.now() - t0) });
    });
    call.write({ spec_json: JSON.stringify({ pipeline: 'objects' }) });
    const pump = () => {
      while (open && written < limitBytes) {
        written += image.byteLength;
        if (!call.write({ image: { name: 'x.jpg', data: Buffer.from(image) } })) return void call.once('drain', pump);
      }
      if (open) call.end();
    };
    pump();
  });
}

describe('gRPC has the limits of HTTP', () => {
  test('an unauthenticated Submit is answered at once and not read on', async () => {
    const chunk = new Uint8Array(400 * 1024);
    const r = await flood(null, chunk, 2 * 1024 * 1024 * 1024);
    console.log(`unauthenticated Submit: ${r.written} bytes written before UNAUTHENTICATED after ${r.ms} ms`);
    expect(r.code).toBe(grpc.status.UNAUTHENTICATED);
    // Flow control lets a few windows through; never the gigabytes it offered.
    expect(r.written).toBeLessThan(64 * 1024 * 1024);
  });

  test('a Submit past runs.max_request_bytes is refused as POST /api/runs would be', async () => {
    const chunk = new Uint8Array(400 * 1024);
    const r = await flood(app.key, chunk, 3 * 1024 * 1024);
    expect(r.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(r.written).toBeLessThan(64 * 1024 * 1024);
  });

  test('Detect calls take from the key’s minute, and HTTP then finds it spent', async () => {
    const codes: number[] = [];
    for (let i = 0; i < PER_MINUTE + 10; i++)
      codes.push(
        await new Promise<number>((resolve) =>
          client.Detect(
            { pipeline: 'objects', image: { data: Buffer.from(PHOTO) } },
            meta(app.key),
            (e: grpc.ServiceError | null) => resolve(e?.code ?? 0),
          ),
        ),
      );
    const ok = codes.filter((c) => c === 0).length;
    expect(ok).toBeLessThanOrEqual(PER_MINUTE);
    expect(codes.slice(-5)).toEqual(Array(5).fill(grpc.status.RESOURCE_EXHAUSTED));
    const http = await app.api('/api/runs');
    expect(http.status).toBe(429);
  });
});
