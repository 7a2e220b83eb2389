/**
 * The map of appliance/: which folder may import which, and which file alone imports each outside
 * technology. The rule table below is the architecture; each rule says why. The test reads the real
 * imports, fails on a loop between folders or a forbidden edge, and shows that it would fail on a
 * planted one.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { cycles, folderGraph, importsOf, readGraph, violations, type Edge, type Rule } from '../helpers/import-graph';

const ROOT = join(import.meta.dir, '../../appliance');

// Features and adapters above the floor; the floor (shared, contracts) and the top (compose, cli, main) are apart.
const ABOVE_ADAPTERS = [
  'api',
  'record',
  'review',
  'motion',
  'notify',
  'homeassistant',
  'classifiers',
  'compose',
  'cli',
  'pipeline',
  'ingest',
  'runs',
  'grpc',
  'analytics',
  'images',
  'publish',
  'sync',
  'fleet',
  'lake',
  'shadow',
  'backup',
  'search',
  'store',
  'metrics',
];
const ADAPTERS = ['auth', 'config', 'decode', 'gpu', 'imaging', 'inference', 'models', 'objects'];
// Arithmetic the adapters may use too: below them, above the floor.
const PURE = ['ocr'];
const ALL = [...ABOVE_ADAPTERS, ...ADAPTERS, ...PURE, 'contracts', 'shared', 'ui'];

const RULES: Rule[] = [
  {
    from: 'shared',
    never: ALL.filter((f) => f !== 'shared'),
    why: 'shared is the floor (errors, log, clock): everyone imports it, so it imports no one',
  },
  {
    from: 'contracts',
    never: ALL.filter((f) => f !== 'shared'),
    why: 'contracts are the shapes every side agrees on; importing one side would tie the others to it',
  },
  ...ADAPTERS.map((from) => ({
    from,
    never: ABOVE_ADAPTERS,
    why: 'an adapter knows its technology, not the features built on it',
  })),
  {
    from: 'store',
    never: [
      'api',
      'record',
      'review',
      'publish',
      'sync',
      'pipeline',
      'ingest',
      'runs',
      'analytics',
      'images',
      'search',
      'fleet',
      'backup',
      'metrics',
      'compose',
      'cli',
    ],
    why: 'the store keeps data; its users define the ports it fills, so it never reaches up',
  },
  {
    from: 'pipeline',
    never: [
      'api',
      'store',
      'images',
      'ingest',
      'runs',
      'sync',
      'fleet',
      'backup',
      'metrics',
      'record',
      'review',
      'compose',
      'cli',
    ],
    why: 'stages get their services as ports (sink, snapshots, imaging), so a pipeline runs in a unit test with fakes',
  },
  {
    from: 'publish',
    never: ['pipeline', 'ingest', 'runs', 'images', 'sync', 'fleet', 'api', 'compose', 'cli'],
    why: 'publish shapes and delivers messages; it knows frames and events only through contracts',
  },
  {
    from: 'motion',
    never: ALL.filter((f) => f !== 'shared' && f !== 'contracts' && f !== 'motion'),
    why: 'motion is arithmetic on pixels: the stage that uses it hands it a frame, so it runs in a unit test alone',
  },
  {
    from: 'notify',
    never: ['api', 'store', 'pipeline', 'ingest', 'record', 'review', 'publish'],
    why: 'notifications decide and deliver to people: review items come in as contracts, subscriptions through a port',
  },
  {
    from: 'homeassistant',
    never: ['api', 'store', 'pipeline', 'ingest', 'record', 'review', 'publish', 'notify', 'images'],
    why: 'Home Assistant is told what streams, frames and items show: they come in as contracts and ports, messages go out through one',
  },
  {
    from: 'ocr',
    never: ALL.filter((f) => !['ocr', 'shared', 'contracts'].includes(f)),
    why: "reading text is arithmetic on a model's outputs (boxes from a map, characters from steps, plates compared): the inference adapter and the stage hand it arrays",
  },
  {
    from: 'classifiers',
    never: ABOVE_ADAPTERS.filter((f) => f !== 'classifiers'),
    why: 'training, evaluating and writing a head is arithmetic on embeddings: it knows no store, stage or door',
  },
  {
    from: 'record',
    never: ['review', 'ingest', 'pipeline', 'store'],
    why: 'recording knows segments and spans, not frames or items: the review items reach it as spans through a port',
  },
  {
    from: 'review',
    never: ['record', 'ingest', 'store', 'publish'],
    why: 'grouping activity into items is about frames; it hands items to ports (store, MQTT, WebSocket) the root wires',
  },
  {
    from: 'api',
    never: ['compose', 'cli'],
    why: 'API plugins take the values they use; the composition root hands them in',
  },
  ...[
    'pipeline',
    'ingest',
    'record',
    'review',
    'runs',
    'grpc',
    'images',
    'publish',
    'sync',
    'fleet',
    'lake',
    'backup',
    'search',
    'metrics',
  ].map((from) => ({
    from,
    never: ['compose', 'cli', 'api'],
    why: 'only the CLI starts the appliance and only the root builds the API: features stay below both',
  })),
  ...(
    [
      ['@duckdb/node-api', 'store/duckdb.ts', 'one DuckDB adapter: connection, appender and types in one place'],
      [
        'onnxruntime-node',
        'inference/onnx-session.ts',
        'inference runs in a worker; only its session file loads the runtime',
      ],
      ['sharp', 'imaging/sharp.ts', 'the imaging port hides the image library (and its native loader in the binary)'],
      ['exifr', 'imaging/sharp.ts', 'metadata reading belongs to the imaging adapter'],
      ['usearch', 'search/usearch.ts', 'one vector-index adapter'],
      ['mqtt', 'publish/mqtt.ts', 'one broker client; everything else hands it messages'],
      ['@aws-sdk/client-s3', 'objects/s3.ts', 'one bucket adapter behind the object-store port'],
      ['@aws-sdk/s3-request-presigner', 'objects/s3.ts', 'one bucket adapter behind the object-store port'],
      ['prom-client', 'metrics/prom.ts', 'one metric registry; features report figures, not metric objects'],
      ['jose', 'auth/jwt.ts', 'one token module: algorithms, issuer and audience checked in one place'],
      ['elysia', 'api/', 'HTTP lives in api/; services take plain values, never a request context'],
      ['@elysiajs/openapi', 'api/', 'HTTP lives in api/'],
      ['@grpc/grpc-js', 'grpc/server.ts', 'one gRPC server; the runs service it calls knows nothing of it'],
      ['@grpc/proto-loader', 'grpc/server.ts', 'the .proto is loaded in one place'],
      ['preact', 'ui/app/', 'Preact is the browser side only'],
    ] as const
  ).map(([pkg, only, why]) => ({ pkg, only: [only], why })),
  {
    pkg: 'protobufjs',
    only: ['grpc/server.ts', 'classifiers/onnx.ts'],
    why: "each schema is parsed in one place: the gRPC door's .proto, and the part of ONNX's a classifier head is written with",
  },
  { pkg: 'web-push', only: ['notify/webpush.ts'], why: 'one web push sender: encryption and VAPID in one place' },
];

const edges = await readGraph(ROOT);

describe('import rules', () => {
  test('the folders of appliance/ import each other in no loop', () => {
    expect(cycles(folderGraph(edges))).toEqual([]);
  });

  test('no import breaks a rule of the table', () => {
    expect(violations(edges, RULES)).toEqual([]);
  });

  test('every folder is named in the table (a new folder needs its place in the map)', () => {
    const paths = edges.flatMap((e) => (e.pkg ? [e.file] : [e.file, e.target]));
    const folders = [
      ...new Set(paths.filter((p) => p.includes('/') && !p.startsWith('..')).map((p) => p.split('/')[0]!)),
    ].sort();
    expect(folders).toEqual([...ALL].sort());
  });

  test('a planted edge from the store up to publish is caught, with its reason', () => {
    const planted: Edge = { file: 'store/results.ts', target: 'publish/topics', pkg: false };
    expect(violations([...edges, planted], RULES)).toEqual([
      {
        file: 'store/results.ts',
        target: 'publish/topics',
        why: 'the store keeps data; its users define the ports it fills, so it never reaches up',
      },
    ]);
  });

  test('a planted edge that closes a loop is caught as a cycle', () => {
    const planted: Edge = { file: 'store/images.ts', target: 'search/service', pkg: false };
    expect(cycles(folderGraph([...edges, planted]))).toEqual([['search', 'store']]);
  });

  test('a planted import of sharp from a pipeline stage is caught', () => {
    const planted: Edge = { file: 'pipeline/stages/embed.ts', target: 'sharp', pkg: true };
    expect(violations([...edges, planted], RULES).map((v) => v.file)).toEqual(['pipeline/stages/embed.ts']);
  });

  test('every import form is read: from, type-only, re-export, side effect, import() types, packages by name', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../shared/b';",
      "export { c } from './c';",
      "import './native';",
      "  sink: import('./sink').ResultSink;",
      "import x from '@duckdb/node-api/lib';",
      "import { y } from 'node:fs';",
    ].join('\n');
    expect(importsOf('pipeline/stages/x.ts', text)).toEqual([
      { file: 'pipeline/stages/x.ts', target: 'pipeline/stages/a', pkg: false },
      { file: 'pipeline/stages/x.ts', target: 'pipeline/shared/b', pkg: false },
      { file: 'pipeline/stages/x.ts', target: 'pipeline/stages/c', pkg: false },
      { file: 'pipeline/stages/x.ts', target: 'pipeline/stages/native', pkg: false },
      { file: 'pipeline/stages/x.ts', target: 'pipeline/stages/sink', pkg: false },
      { file: 'pipeline/stages/x.ts', target: '@duckdb/node-api', pkg: true },
    ]);
  });
});
