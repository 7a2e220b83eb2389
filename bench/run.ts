/**
 * @module `bun run bench [suite ...]`: prints markdown tables of medians and p95 with the bare
 * baselines in the same run. Suites: images (real photos), synthetic (10k, 100k vectors), pipeline
 * (video throughput against bare ffmpeg and onnxruntime), publish (MQTT and WebSocket against bare
 * mqtt.js and a bare Bun WebSocket broadcast; decoded-to-received latency), sync (S3 uploads against a
 * bare AWS SDK loop; backlog drain), fleet (roll-out convergence of 20 appliances and 100 agents, apply
 * and rollback times, against bare git fetches), review (the dashboard's event queries at 100,000
 * events against a bare DuckDB query), live-video (CPU of one watched stream's remux against a bare
 * demux and an MPEG-1 re-encode), runs (a pipeline run over 100 photos against a bare loop of the same
 * models; a queue of 10,000 photos; a live stream's fps with and without a run), analytics (a
 * synthetic year of 10 million detections: calendar, time-series and class views against a bare GROUP
 * BY; the pipeline's fps with and without the tables kept current), import (`fovea images import` of
 * 300 photos through the API and into a stopped box, against the bare register path), api (requests/s
 * and latency per route and concurrency under autocannon, against a bare server and bare embedding).
 * FOVEA_BENCH_SIZES=10000,100000,1000000 changes the synthetic sizes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageSearch } from './search-images';
import { syntheticSearch } from './search-synthetic';
import { pipelineBench } from './pipeline';
import { publishBench } from './publish';
import { syncBench } from './sync';
import { fleetBench } from './fleet';
import { reviewBench } from './review';
import { liveVideoBench } from './live-video';
import { runsBench } from './runs';
import { analyticsBench } from './analytics';
import { importBench } from './import';
import { apiBench } from './api';

const suites = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [
      'images',
      'synthetic',
      'pipeline',
      'publish',
      'sync',
      'fleet',
      'review',
      'live-video',
      'runs',
      'analytics',
      'import',
      'api',
    ];
const header = ['| case | what | p50 ms | p95 ms | recall@10 | notes |', '|---|---|---|---|---|---|'];
console.log(`fovea bench, ${new Date().toISOString()}, bun ${Bun.version}, ${navigator.hardwareConcurrency} cores\n`);
if (suites.some((s) => s === 'images' || s === 'synthetic')) console.log(header.join('\n'));
if (suites.includes('images')) for (const l of await imageSearch()) console.log(l);
if (suites.includes('synthetic')) {
  const sizes = (process.env.FOVEA_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
  for (const n of sizes) {
    const dir = await mkdtemp(join(tmpdir(), 'fovea-bench-'));
    try {
      for (const l of await syntheticSearch(n, 200, dir)) console.log(l);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
if (suites.includes('pipeline')) {
  console.log(
    '\n| input | what | frames/s | vs (c) | vs slower of (a), (b) | decoded -> stored p50 / p99 ms | CPU % (of 200) | peak RSS MB (with ffmpeg) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const l of await pipelineBench()) console.log(l);
}
if (suites.includes('publish')) {
  console.log('\n| case | what | messages/s | vs bare | latency p99 |');
  console.log('|---|---|---|---|---|');
  for (const l of await publishBench()) console.log(l);
}
if (suites.includes('sync')) {
  console.log('\n| objects | what | objects/s | MB/s | vs bare |');
  console.log('|---|---|---|---|---|');
  for (const l of await syncBench()) console.log(l);
}
if (suites.includes('review')) {
  console.log('\n| stored | query | p50 ms | p95 ms | | vs bare |');
  console.log('|---|---|---|---|---|---|');
  for (const l of await reviewBench()) console.log(l);
}
if (suites.includes('fleet')) {
  console.log('\n| boxes | what | median s | max s | notes |');
  console.log('|---|---|---|---|---|');
  for (const l of await fleetBench()) console.log(l);
}
if (suites.includes('live-video')) {
  console.log('\n| input | what | CPU % (of 200) | kbit/s out | |');
  console.log('|---|---|---|---|---|');
  for (const l of await liveVideoBench()) console.log(l);
}
if (suites.includes('runs')) {
  console.log('\n| case | what | photos/s (or fps) | vs bare | notes |');
  console.log('|---|---|---|---|---|');
  for (const l of await runsBench()) console.log(l);
}
if (suites.includes('analytics')) {
  console.log('\n| data | what | p50 ms (or fps) | p95 ms | | notes |');
  console.log('|---|---|---|---|---|---|');
  for (const l of await analyticsBench()) console.log(l);
}
if (suites.includes('import')) {
  console.log('\n| photos | what | photos/s | vs bare | notes |');
  console.log('|---|---|---|---|---|');
  for (const l of await importBench()) console.log(l);
}
if (suites.includes('api')) {
  console.log('\n| route | connections | requests/s | p50 ms | p99 ms | non-2xx |');
  console.log('|---|---|---|---|---|---|');
  for (const l of await apiBench()) console.log(l);
}
