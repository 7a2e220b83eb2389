/**
 * @module The gRPC server (the only importer of @grpc/grpc-js, @grpc/proto-loader and protobufjs):
 * the runs API for clients that stream images (`fovea.proto`, embedded in the binary as text).
 * Submit takes a spec and images as a client stream, Watch streams a run's progress, Detect runs
 * one image synchronously. Same credentials as HTTP (metadata `x-api-key` or `authorization:
 * Bearer`), same scopes (runs:write, runs:read), same limits, AppErrors mapped to gRPC codes.
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import protoText from './fovea.proto' with { type: 'text' };
import { ownerOfIdentity, viewerOfIdentity, type Identity } from '../auth/identity';
import type { DoorLimits, LimitRefusal } from '../auth/limits';
import type { Scope } from '../auth/roles';
import type { Caller, RunService, Upload } from '../runs/service';
import { finished, parseSpec, type RunSpec } from '../runs/model';
import type { ItemOutput } from '../runs/item';
import type { RunMessage } from '../contracts/runs';
import { AppError, isAppError } from '../shared/errors';
import type { Logger } from '../shared/log';
import { grpcStatusOf, GRPC } from './status';
import { parseJsonLimited } from '../shared/parse-limits';
import { isLast, type RunWatchers } from './watchers';

export interface GrpcDeps {
  host: string;
  port: number;
  /** Whether calls need a credential (api.auth). */
  authRequired: boolean;
  identify(token: string): Promise<Identity>;
  /** The rate limits HTTP takes from: a call counts as an API client's request. */
  limits: DoorLimits;
  runs: RunService;
  watchers: RunWatchers;
  detect(pipeline: string, overrides: Record<string, unknown>, data: Uint8Array): Promise<ItemOutput & { ms: number }>;
  maxUploadBytes: number;
  /** All the images of one Submit together (runs.max_request_bytes, as POST /api/runs). */
  maxRequestBytes: number;
  maxFiles: number;
  log: Logger;
}

export interface GrpcServer {
  port: number;
  stop(): Promise<void>;
}

/** The service definition from the embedded .proto (no file on disk: it works in the compiled binary). */
function serviceOf() {
  const root = protobuf.parse(protoText, { keepCase: true }).root;
  const def = fromJSON(root.toJSON(), { keepCase: true, longs: Number, defaults: true, oneofs: true });
  return (grpc.loadPackageDefinition(def) as unknown as { fovea: { v1: { Runs: grpc.ServiceClientConstructor } } })
    .fovea.v1.Runs.service;
}

/** An AppError (or anything thrown) as the error a gRPC callback or stream takes. */
function statusOf(e: unknown): grpc.ServiceError {
  const app = isAppError(e) ? e : null;
  const err = new Error(app ? app.message : 'internal error') as grpc.ServiceError;
  err.code = app ? grpcStatusOf(app.code) : GRPC.INTERNAL;
  err.details = err.message;
  err.metadata = new grpc.Metadata();
  if (app) err.metadata.set('fovea-error-code', app.code);
  return err;
}

function tokenOf(md: grpc.Metadata): string | null {
  const key = md.get('x-api-key')[0];
  if (typeof key === 'string' && key) return key;
  const auth = md.get('authorization')[0];
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return m ? m[1]! : null;
}

/** The spec_json of a Submit, parsed and checked as POST /api/runs checks its spec. */
const specOf = (json: string): RunSpec => parseSpec(parseJsonLimited(json, 'spec_json'));

const overridesOf = (json: string): Record<string, unknown> => {
  if (!json) return {};
  const v = parseJsonLimited(json, 'overrides_json');
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new AppError('validation_failed', 'overrides_json must be a JSON object of "stage.option": value');
};

const limited = (r: LimitRefusal) =>
  new AppError('rate_limited', `too many requests from this ${r.who}; retry in ${r.retryAfterS} s`);

/** The address of a call's peer (`ipv4:127.0.0.1:5000`, `[::1]:5000`, `127.0.0.1:5000`). */
export const peerAddress = (peer: string): string =>
  peer
    .replace(/^ipv[46]:/, '')
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');

/** Who calls, as the runs service takes it (as HTTP's callerOf: a box without auth is everyone's). */
const callerOfIdentity = (id: Identity | null, authRequired: boolean): Caller => ({
  viewer: viewerOfIdentity(id, authRequired),
  owner: ownerOfIdentity(id),
  name: id?.subject ?? null,
});

export async function startGrpc(d: GrpcDeps): Promise<GrpcServer> {
  /**
   * The caller of a call, by HTTP's rules: the address's rate limit, the credential, the scope the
   * call needs, the credential's rate limit (the same buckets as HTTP). Null when auth is off.
   */
  const caller = async (
    call: { metadata: grpc.Metadata; getPeer(): string },
    scope: Scope,
  ): Promise<Identity | null> => {
    const token = tokenOf(call.metadata);
    const id = d.authRequired && token ? await d.identify(token).catch((e: unknown) => e as Error) : null;
    const known = id instanceof Error ? null : id;
    const byIp = d.limits.address('clients', peerAddress(call.getPeer()), known);
    if (byIp) throw limited(byIp);
    if (!d.authRequired) return null;
    if (!token) throw new AppError('unauthorized', 'send an API key (x-api-key) or a bearer token (authorization)');
    if (!known) throw id;
    if (!known.scopes.includes(scope))
      throw new AppError('forbidden', `this needs the scope ${scope}, which ${known.subject} does not have`);
    const bySubject = d.limits.subject('clients', known);
    if (bySubject) throw limited(bySubject);
    return known;
  };
  const server = new grpc.Server({
    // An image per message: each may be as large as an upload over HTTP.
    'grpc.max_receive_message_length': d.maxUploadBytes + 64 * 1024,
  });
  server.addService(serviceOf(), {
    Submit: (call: grpc.ServerReadableStream<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      let spec: string | null = null;
      const uploads: Upload[] = [];
      let bytes = 0;
      let answered = false;
      // A refusal answers at once and stops reading: a caller without the credential, past the
      // files or bytes a submit may hold, is not read to the end.
      const refuse = (e: unknown) => {
        if (answered) return;
        answered = true;
        call.pause();
        cb(statusOf(e));
      };
      const who = caller(call, 'runs:write');
      who.catch(refuse);
      call.on('data', (m: { spec_json?: string; image?: { name: string; data: Buffer } }) => {
        if (answered) return;
        if (m.spec_json !== undefined && m.spec_json !== '') spec = m.spec_json;
        else if (m.image) {
          bytes += m.image.data.byteLength;
          if (uploads.length >= d.maxFiles)
            refuse(new AppError('payload_too_large', `more than ${d.maxFiles} images in one submit`));
          else if (bytes > d.maxRequestBytes)
            refuse(
              new AppError(
                'payload_too_large',
                `the images of this submit pass the limit of ${d.maxRequestBytes} bytes`,
                {
                  details: { max_bytes: d.maxRequestBytes },
                },
              ),
            );
          else uploads.push({ data: new Uint8Array(m.image.data), fileName: m.image.name || null });
        }
      });
      call.on('end', async () => {
        try {
          const id = await who;
          if (answered) return;
          if (spec === null) throw new AppError('validation_failed', 'the first message must carry spec_json');
          const { run, created } = await d.runs.submit(specOf(spec), uploads, callerOfIdentity(id, d.authRequired));
          answered = true;
          cb(null, { run_id: run.id, status: run.status, total: run.total, created });
        } catch (e) {
          refuse(e);
        }
      });
      call.on('error', () => undefined);
    },
    Watch: async (call: grpc.ServerWritableStream<{ run_id: string }, unknown>) => {
      try {
        const viewer = callerOfIdentity(await caller(call, 'runs:read'), d.authRequired).viewer;
        const runId = call.request.run_id;
        const row = await d.runs.row(runId, viewer);
        const send = (m: RunMessage) =>
          call.write({
            run_id: m.payload.run_id,
            seq: m.payload.seq,
            event: m.event,
            timestamp: m.timestamp,
            payload_json: JSON.stringify(m.payload),
          });
        if (finished(row.status)) {
          const v = await d.runs.view(runId, viewer, 0, 1);
          send({
            sessionId: runId,
            timestamp: new Date().toISOString(),
            event: 'runProgress',
            payload: {
              run_id: runId,
              pipeline: row.pipeline,
              seq: 0,
              status: row.status,
              ...v.progress,
              succeeded: v.counts.succeeded ?? 0,
              failed: v.counts.failed ?? 0,
            },
          });
          call.end();
          return;
        }
        const stop = d.watchers.watch(runId, (m) => {
          send(m);
          if (isLast(m)) {
            stop();
            call.end();
          }
        });
        call.on('cancelled', stop);
        call.on('close', stop);
      } catch (e) {
        // The stream ends with the status (destroying it would drop the client's whole connection).
        call.emit('error', statusOf(e));
      }
    },
    Detect: async (
      call: grpc.ServerUnaryCall<{ pipeline: string; overrides_json: string; image?: { data: Buffer } }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      try {
        await caller(call, 'runs:write');
        const r = call.request;
        if (!r.image?.data?.length) throw new AppError('validation_failed', 'image.data is required');
        const out = await d.detect(
          r.pipeline || 'objects',
          overridesOf(r.overrides_json),
          new Uint8Array(r.image.data),
        );
        cb(null, {
          detections: out.detections.map((x) => ({ label: x.label, score: x.score, box: x.box })),
          outputs_json: JSON.stringify(out.outputs),
          width: out.width ?? 0,
          height: out.height ?? 0,
          ms: out.ms,
        });
      } catch (e) {
        cb(statusOf(e));
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${d.host}:${d.port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
      e
        ? reject(new AppError('config_invalid', `grpc: cannot listen on ${d.host}:${d.port}: ${e.message}`))
        : resolve(p),
    ),
  );
  d.log.info('grpc serving', { address: `${d.host}:${port}` });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams still open (a Watch of a run that goes on) do not hold the stop.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref?.();
      }),
  };
}
