/**
 * @module Where the memory of a box goes: `fovea serve` in its own process, idle and then with two
 * live streams (the person and car videos, looped and paced as cameras, through the `objects`
 * pipeline at the streams' default rate), sampled once a second after a warm-up. For the box and
 * its ffmpeg children it reports the sum of RSS (what `ps` adds up: the libraries two ffmpeg
 * processes share are counted twice) and the sum of PSS (each shared page divided among the
 * processes that map it: what the box really holds), medians and maxima, and what each part holds
 * anonymously (heaps, buffers) and in mapped files (code).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnFovea } from '../test/helpers/process';
import { VIDEOS, ensureModel, tempDir } from '../test/helpers/fixtures';
import { median, row } from './lib/stats';

const WARM_S = Number(process.env.BENCH_MEMORY_WARM_S ?? 20);
const SAMPLE_S = Number(process.env.BENCH_MEMORY_S ?? 60);

/** One reading of /proc/PID/smaps_rollup, MB: resident, proportional and anonymous (zeros for a process that is gone). */
function rollup(pid: number): { rss: number; pss: number; anon: number } {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    /* gone */
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
  return { rss: field('Rss'), pss: field('Pss'), anon: field('Anonymous') };
}

const children = (pid: number) =>
  Bun.spawnSync(['ps', '-o', 'pid=', '--ppid', String(pid)])
    .stdout.toString()
    .split('\n')
    .map(Number)
    .filter(Boolean);

interface Sample {
  rss: number;
  pss: number;
  mainAnon: number;
  mainFiles: number;
  kidsAnon: number[];
  kidsFiles: number[];
}

function sample(pid: number): Sample {
  const [main, ...kids] = [pid, ...children(pid)].map(rollup);
  const all = [main!, ...kids];
  return {
    rss: all.reduce((a, r) => a + r.rss, 0),
    pss: all.reduce((a, r) => a + r.pss, 0),
    mainAnon: main!.anon,
    mainFiles: main!.rss - main!.anon,
    kidsAnon: kids.map((r) => r.anon),
    kidsFiles: kids.map((r) => r.rss - r.anon),
  };
}

async function measure(streams: Array<Record<string, unknown>>): Promise<Sample[]> {
  await using state = await tempDir();
  await using box = await spawnFovea(state.path, { api: { auth: false }, streams });
  await Bun.sleep(WARM_S * 1000);
  const out: Sample[] = [];
  for (let i = 0; i < SAMPLE_S; i++) {
    out.push(sample(box.proc.pid));
    await Bun.sleep(1000);
  }
  return out;
}

const mb = (x: number) => x.toFixed(0);
const medMax = (xs: number[]) => `${mb(median(xs))} / ${mb(Math.max(...xs))}`;

export async function memoryBench(): Promise<string[]> {
  await ensureModel();
  const live = (id: string, file: string) => ({
    id,
    url: join(VIDEOS, file),
    pipeline: 'objects',
    realtime: true,
    loop: true,
  });
  const setups: Array<[string, Array<Record<string, unknown>>]> = [
    ['idle (no streams)', []],
    [
      '2 live streams: person + car videos, paced, objects pipeline',
      [live('people', 'one-by-one-person-detection.mp4'), live('cars', 'car-detection.mp4')],
    ],
  ];
  const out: string[] = [];
  for (const [name, streams] of setups) {
    const s = await measure(streams);
    const kids = s.at(-1)!.kidsAnon.length;
    out.push(
      row([
        name,
        medMax(s.map((x) => x.rss)),
        medMax(s.map((x) => x.pss)),
        `${mb(median(s.map((x) => x.mainAnon)))} / ${mb(median(s.map((x) => x.mainFiles)))}`,
        kids
          ? `${kids} × ${mb(median(s.map((x) => median(x.kidsAnon))))} / ${mb(median(s.map((x) => median(x.kidsFiles))))}`
          : '',
      ]),
    );
  }
  return out;
}
