/** @module A real gRPC client of the box's Runs service (@grpc/grpc-js and the repo's fovea.proto) for tests. */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';

const PROTO = join(import.meta.dir, '../../appliance/grpc/fovea.proto');

// biome-ignore lint/suspicious/noExplicitAny: the client's methods are made from the .proto at run time
export type RunsClient = grpc.Client & Record<string, any>;

/** A Runs client on a loopback port. */
export function runsClient(port: number): RunsClient {
  const pkg = grpc.loadPackageDefinition(
    loader.loadSync(PROTO, { keepCase: true, longs: Number, arrays: true, defaults: true }),
  ) as unknown as { fovea: { v1: { Runs: new (addr: string, creds: grpc.ChannelCredentials) => RunsClient } } };
  return new pkg.fovea.v1.Runs(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** Call metadata with an API key (none: anonymous). */
export function keyMeta(key: string | null): grpc.Metadata {
  const m = new grpc.Metadata();
  if (key) m.set('x-api-key', key);
  return m;
}
