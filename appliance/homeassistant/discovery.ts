/**
 * @module What Home Assistant's MQTT discovery is told of each stream: per configured label an
 * occupancy binary_sensor and a count sensor, a count sensor per zone and label, a camera showing
 * the latest snapshot, and a switch for detection. Each config is retained at
 * `<prefix>/<component>/<node>/<object>/config`, with a unique_id and the device block naming the
 * box, and is available while the box's Last Will topic says `online`. All of a stream's states come
 * from one retained JSON topic, read by value templates. An empty retained config removes an entity.
 * Pure: messages, never how they are sent.
 */
import type { Message } from '../contracts/messages';

export interface HaStream {
  id: string;
  /** The labels its pipeline reports (occupancy and counts are made for these). */
  labels: string[];
  /** The zones of its pipeline's event stage. */
  zones: string[];
}

export interface HaContext {
  /** The discovery prefix ("homeassistant"). */
  prefix: string;
  /** The box's name in the fleet. */
  device: string;
  version: string;
  /** The box's availability topic (its MQTT Last Will says `offline` there). */
  available: string;
  /** A stream's retained state: `{detect, counts, zones}`. */
  state: (stream: string) => string;
  /** A stream's latest snapshot, a base64 JPEG (retained). */
  snapshot: (stream: string) => string;
  /** Where the detection switch's ON and OFF come. */
  detectSet: (stream: string) => string;
  qos: 0 | 1 | 2;
}

/** The state one stream's topic carries. */
export interface HaState {
  detect: 'ON' | 'OFF';
  counts: Record<string, number>;
  zones: Record<string, Record<string, number>>;
}

/** Discovery's node and object ids allow letters, digits, `_` and `-` only. */
export const haId = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** A Jinja subscript of `value_json` for a key, quoted as JSON (labels may hold spaces). */
const key = (k: string) => `[${JSON.stringify(k)}]`;

interface Entity {
  component: 'binary_sensor' | 'sensor' | 'camera' | 'switch';
  object: string;
  config: Record<string, unknown>;
}

function entitiesOf(c: HaContext, s: HaStream): Entity[] {
  const state = c.state(s.id);
  const out: Entity[] = [];
  for (const label of s.labels) {
    out.push({
      component: 'binary_sensor',
      object: `${s.id}_${label}_occupancy`,
      config: {
        name: `${s.id} ${label} occupancy`,
        device_class: 'occupancy',
        state_topic: state,
        value_template: `{{ 'ON' if (value_json.counts${key(label)} | default(0) | int) > 0 else 'OFF' }}`,
        payload_on: 'ON',
        payload_off: 'OFF',
      },
    });
    out.push({
      component: 'sensor',
      object: `${s.id}_${label}_count`,
      config: {
        name: `${s.id} ${label} count`,
        state_topic: state,
        value_template: `{{ value_json.counts${key(label)} | default(0) }}`,
        state_class: 'measurement',
        icon: 'mdi:counter',
      },
    });
    for (const zone of s.zones)
      out.push({
        component: 'sensor',
        object: `${s.id}_${zone}_${label}_count`,
        config: {
          name: `${s.id} ${zone} ${label} count`,
          state_topic: state,
          value_template: `{{ value_json.zones${key(zone)}${key(label)} | default(0) }}`,
          state_class: 'measurement',
          icon: 'mdi:counter',
        },
      });
  }
  out.push({
    component: 'camera',
    object: `${s.id}_snapshot`,
    config: { name: `${s.id} snapshot`, topic: c.snapshot(s.id), image_encoding: 'b64' },
  });
  out.push({
    component: 'switch',
    object: `${s.id}_detection`,
    config: {
      name: `${s.id} detection`,
      command_topic: c.detectSet(s.id),
      state_topic: state,
      value_template: '{{ value_json.detect }}',
      payload_on: 'ON',
      payload_off: 'OFF',
      state_on: 'ON',
      state_off: 'OFF',
      icon: 'mdi:motion-sensor',
    },
  });
  return out;
}

const topicOf = (c: HaContext, e: Entity) =>
  `${c.prefix}/${e.component}/fovea_${haId(c.device)}/${haId(e.object)}/config`;

/** A stream's discovery configs, retained. */
export function configsOf(c: HaContext, s: HaStream): Message[] {
  const node = `fovea_${haId(c.device)}`;
  const device = {
    identifiers: [node],
    name: `fovea ${c.device}`,
    manufacturer: 'fovea',
    model: 'edge vision appliance',
    sw_version: c.version,
  };
  return entitiesOf(c, s).map((e) => ({
    topic: topicOf(c, e),
    payload: JSON.stringify({
      ...e.config,
      unique_id: `${node}_${haId(e.object)}`,
      availability_topic: c.available,
      payload_available: 'online',
      payload_not_available: 'offline',
      device,
      origin: { name: 'fovea', sw_version: c.version },
    }),
    qos: c.qos,
    retain: true,
    kind: 'state',
  }));
}

/** The empty retained message that removes the entity a config topic made. */
export const removalOf = (topic: string, qos: 0 | 1 | 2): Message => ({
  topic,
  payload: '',
  qos,
  retain: true,
  kind: 'state',
});

/** A stream's state message (retained). */
export const stateMessage = (c: HaContext, stream: string, s: HaState): Message => ({
  topic: c.state(stream),
  payload: JSON.stringify(s),
  qos: c.qos,
  retain: true,
  kind: 'state',
});

/** The detection switch's command, or null when it is neither ON nor OFF. */
export function commandOf(payload: string): boolean | null {
  const p = payload.trim().toUpperCase();
  return p === 'ON' ? true : p === 'OFF' ? false : null;
}
