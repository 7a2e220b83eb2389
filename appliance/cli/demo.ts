/**
 * @module `fovea demo`: a new user's first minute. Pulls the default model (mirror or upstream),
 * registers the sample photos (once), makes an API key, serves, and prints curl lines to try.
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse as parseYamlText } from 'yaml';
import samplesText from '../../models/samples.yaml' with { type: 'text' };
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { builtinCatalog, findModel } from '../models/catalog';
import { download, pullModel, readIfValid } from '../models/pull';
import { modelMirror, pathsOf, sharedMirror } from '../config/paths';
import type { Runtime } from '../compose/runtime';
import { Appliance } from '../compose/appliance';
import { untilSignal } from './lifecycle';
import { AppError } from '../shared/errors';
import { Value } from '@sinclair/typebox/value';
import { StreamConfig } from '../config/schema';
import type { Logger } from '../shared/log';

interface Pinned {
  file: string;
  sha256: string;
}
interface Samples {
  base_url: string;
  photos: Pinned[];
  video_base_url: string;
  videos: Pinned[];
}

/** A pinned sample file: from the mirror directory when it holds a verified copy, else downloaded. */
async function pinned(baseUrl: string, p: Pinned, mirror: string | null): Promise<Uint8Array> {
  if (mirror) {
    const local = await readIfValid(join(mirror, p.file), [p.sha256]);
    if (local) return local;
  }
  const data = await download(`sample ${p.file}`, baseUrl + p.file, fetch);
  if (new Bun.CryptoHasher('sha256').update(data).digest('hex') !== p.sha256)
    throw new AppError('model_checksum_mismatch', `sample ${p.file}: sha256 mismatch`);
  return data;
}

const samples = parseYamlText(samplesText) as Samples;

/** The demo video as a local file (the mirror's copy, or one downloaded into the state dir). */
async function demoVideo(stateDir: string): Promise<string> {
  const v = samples.videos[0]!;
  const mirror = sharedMirror('media/videos');
  if (mirror && (await readIfValid(join(mirror, v.file), [v.sha256]))) return join(mirror, v.file);
  const target = join(stateDir, 'samples', v.file);
  if (!(await readIfValid(target, [v.sha256]))) await Bun.write(target, await pinned(samples.video_base_url, v, null));
  return target;
}

/** The demo's own admin, 'demo', with a new password each run (printed; the box listens on loopback). */
async function demoUser(rt: Runtime): Promise<{ name: string; password: string }> {
  const password = randomBytes(12).toString('base64url');
  if (rt.users.byName('demo')) await rt.users.consumeReset(await rt.users.issueReset('demo'), password);
  else await rt.users.create('demo', 'admin', password);
  return { name: 'demo', password };
}

async function registerSamples(rt: Runtime, log: Logger): Promise<number> {
  const { total } = await rt.images.list({ tags: ['sample'] }, 1, 1);
  if (total > 0) return 0;
  const mirror = sharedMirror('media/images/coco');
  let n = 0;
  for (const p of samples.photos) {
    const data = await pinned(samples.base_url, p, mirror);
    await rt.images.register({
      data,
      fileName: p.file,
      name: `COCO ${p.file.replace(/\.jpg$/, '')}`,
      description: 'COCO val2017 sample photo',
      tags: ['sample', 'coco'],
    });
    n++;
  }
  log.info('sample photos registered', { count: n });
  return n;
}

export const demo: Command = {
  name: 'demo',
  summary: 'pull the default model, register sample photos, serve, print a key and curl examples',
  usage: `Usage: fovea demo [--config FILE]

Everything a first try needs: pulls the embedding and detection models (from ../shared/models or
upstream), registers the sample photos once, plays the sample person video in a loop through the
built-in 'people' pipeline, recording around review items (when the config has no streams), creates an API key 'demo' (replacing
an earlier one) and an admin user 'demo' with a new password, serves the API and the dashboard, and
prints how to sign in and curl commands that work against it.`,
  options: { ...CONFIG_OPTION },
  async run(values) {
    const { config, log } = setup(values);
    const catalog = builtinCatalog();
    for (const ref of [config.models.embed, 'yolox-nano@1']) {
      await pullModel(findModel(catalog, ref), catalog, { dir: pathsOf(config).models, mirror: modelMirror(config) });
    }
    if (config.streams.length === 0) {
      // The schema's defaults, so a new stream option needs no edit here.
      config.streams.push(
        Value.Default(StreamConfig, {
          id: 'demo',
          url: await demoVideo(pathsOf(config).state),
          pipeline: 'people',
          loop: true,
          // Recorded around what happens, so Review has clips to play.
          record: { enabled: true, mode: 'events' },
        }) as StreamConfig,
      );
    }
    const box = await Appliance.start(config, log);
    const rt = box.runtime;
    await registerSamples(rt, log);
    await rt.keys.revoke('demo');
    const key = await rt.keys.create('demo');
    const who = await demoUser(rt);
    const url = box.url;
    const someId = (await rt.images.list({ tags: ['sample'] }, 1, 1)).items[0]?.id ?? 'IMAGE_ID';
    print(`
fovea demo is serving at ${url}   (Ctrl-C stops it)

  Dashboard: open ${url}/ and sign in as ${who.name} / ${who.password}
  (the Live page shows the person video analysed; Review its events; Explore the sample photos)

API key (shown once): ${key}

  export FOVEA_KEY=${key}
  curl -s ${url}/health
  curl -s -H "X-API-Key: $FOVEA_KEY" "${url}/api/images?limit=3"
  curl -s -H "X-API-Key: $FOVEA_KEY" -F file=@photo.jpg -F name=mine -F tags=test ${url}/api/images
  curl -s -H "X-API-Key: $FOVEA_KEY" -F file=@photo.jpg -F limit=5 ${url}/api/search
  curl -s -H "X-API-Key: $FOVEA_KEY" -H 'content-type: application/json' -d '{"image_id":"${someId}","limit":3}' ${url}/api/search
  curl -s -H "X-API-Key: $FOVEA_KEY" ${url}/api/streams
  curl -s -H "X-API-Key: $FOVEA_KEY" "${url}/api/events?limit=5"     # person events within seconds
  API docs: ${url}/docs
`);
    return untilSignal(() => box.stop(), log);
  },
};
