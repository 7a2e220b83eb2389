/**
 * @module Home Assistant wired to the box: discovery from each stream's config and pipeline (the
 * labels its detector keeps, else the labels that make alerts; the zones of its event stage), the
 * state from its frames, the switch to its detection, snapshots from review items, and what was
 * announced kept in the state directory. Off (mqtt.home_assistant.enabled false), it only
 * withdraws what it announced before.
 */
import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import type { Config, StreamConfig } from '../config/schema';
import type { MqttPublisher } from '../publish/mqtt';
import type { Streams } from '../ingest/streams';
import type { ImageService } from '../images/service';
import { loadPipeline } from '../pipeline/catalog';
import type { Pipeline } from '../pipeline/file';
import { HomeAssistant } from '../homeassistant/service';
import type { HaStream } from '../homeassistant/discovery';
import { writeAtomic } from '../shared/atomic';
import { VERSION } from '../shared/version';
import type { Logger } from '../shared/log';

/** What Home Assistant is told of a stream, from its config and its pipeline. */
export function haStreamOf(cfg: StreamConfig, pipeline: Pipeline): HaStream {
  const detect = pipeline.stages.find((s) => s.def.type === 'detect');
  const classes = (detect?.options as { classes?: string[] } | undefined)?.classes ?? [];
  const zones = pipeline.stages
    .filter((s) => s.def.type === 'event')
    .flatMap((s) => ((s.options as { zones?: Array<{ name: string }> }).zones ?? []).map((z) => z.name));
  return {
    id: cfg.id,
    labels: [...new Set(classes.length ? classes : cfg.review.alerts.labels)],
    zones: [...new Set(zones)],
  };
}

/** The streams as Home Assistant should see them (one whose pipeline cannot load is left out). */
function haStreams(streams: Streams, log: Logger): HaStream[] {
  return streams.configs().flatMap((cfg) => {
    try {
      const pipeline =
        streams.get(cfg.id)?.pipeline.pipeline ?? loadPipeline(streams.pipelinesDir, cfg.pipeline, cfg.overrides);
      return [haStreamOf(cfg, pipeline)];
    } catch (e) {
      log.warn('home assistant: stream left out', { stream: cfg.id, error: e });
      return [];
    }
  });
}

export function homeAssistantOf(
  config: Config,
  deps: { mqtt: MqttPublisher; streams: Streams; images: ImageService; state: string; device: string; log: Logger },
): HomeAssistant {
  const ha = config.mqtt.home_assistant;
  const t = deps.mqtt.topics;
  const file = join(deps.state, 'homeassistant', 'announced.json');
  const service = new HomeAssistant({
    ctx: {
      prefix: ha.prefix,
      device: deps.device,
      version: VERSION,
      available: t.available,
      state: t.haState,
      snapshot: t.haSnapshot,
      detectSet: t.detectSet,
      qos: config.mqtt.qos,
    },
    publish: (m) => deps.mqtt.publish(m),
    subscribe: (topic, fn) => deps.mqtt.subscribe(topic, fn),
    watch: (id, fn) => deps.streams.watch(id, fn),
    detection: { get: (id) => deps.streams.detection(id), set: (id, on) => deps.streams.setDetection(id, on) },
    thumbnail: async (image) =>
      new Uint8Array(await (await deps.images.open((await deps.images.get(image)).thumb_key)).arrayBuffer()),
    announced: {
      load: async () => {
        try {
          return JSON.parse(await readFile(file, 'utf8')) as string[];
        } catch {
          return [];
        }
      },
      save: async (topics) => {
        await mkdir(join(deps.state, 'homeassistant'), { recursive: true });
        await writeAtomic(file, new TextEncoder().encode(JSON.stringify(topics)), 0o600);
      },
    },
    log: deps.log,
  });
  const sync = () => void service.sync(ha.enabled ? haStreams(deps.streams, deps.log) : []);
  deps.streams.onChange(sync);
  return service;
}
