/**
 * @module What Home Assistant's MQTT discovery requires of a config, written down from its docs
 * (www.home-assistant.io/integrations/mqtt/ "Discovery", and the binary_sensor, sensor, camera
 * and switch MQTT platform pages): the topic's form, each component's required keys, and the types
 * of the keys fovea sends. `haProblems` lists what HA would refuse or ignore; [] is a valid config.
 */

/** `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`; node and object ids are [a-zA-Z0-9_-]. */
export const DISCOVERY_TOPIC =
  /^[^/#+]+\/(binary_sensor|sensor|camera|switch)\/(?:[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]+\/config$/;

/** Keys each component cannot do without. */
const REQUIRED: Record<string, string[]> = {
  binary_sensor: ['state_topic'],
  sensor: ['state_topic'],
  camera: ['topic'],
  switch: ['command_topic'],
};

type Kind = 'string' | 'topic' | 'template' | 'list' | 'object';
/** The type of each key fovea sends, as the platform pages give it. */
const TYPES: Record<string, Kind> = {
  name: 'string',
  unique_id: 'string',
  state_topic: 'topic',
  command_topic: 'topic',
  topic: 'topic',
  availability_topic: 'topic',
  payload_available: 'string',
  payload_not_available: 'string',
  payload_on: 'string',
  payload_off: 'string',
  state_on: 'string',
  state_off: 'string',
  value_template: 'template',
  device_class: 'string',
  state_class: 'string',
  icon: 'string',
  image_encoding: 'string',
  device: 'object',
  origin: 'object',
};

/** Allowed values where the docs give a closed list. */
const ENUMS: Record<string, string[]> = {
  state_class: ['measurement', 'total', 'total_increasing'],
  image_encoding: ['b64'],
};
const DEVICE_CLASSES: Record<string, string[]> = { binary_sensor: ['occupancy', 'motion', 'presence'] };

export function haProblems(topic: string, config: Record<string, unknown>): string[] {
  const out: string[] = [];
  const m = DISCOVERY_TOPIC.exec(topic);
  if (!m) return [`topic ${topic} is not a discovery topic`];
  const component = m[1]!;
  for (const k of REQUIRED[component]!) if (!(k in config)) out.push(`${component} needs ${k}`);
  for (const [k, v] of Object.entries(config)) {
    const kind = TYPES[k];
    if (!kind) out.push(`unknown key ${k}`);
    else if (kind === 'object' ? typeof v !== 'object' || v === null || Array.isArray(v) : typeof v !== 'string')
      out.push(`${k} should be a ${kind}`);
    else if (kind === 'topic' && /[#+]/.test(v as string))
      out.push(`${k} is not a topic one can publish or subscribe to`);
    else if (kind === 'template' && !/\{\{.*\}\}/.test(v as string)) out.push(`${k} is not a template`);
    if (ENUMS[k] && !ENUMS[k].includes(v as string)) out.push(`${k} ${String(v)} is not one of ${ENUMS[k].join(', ')}`);
  }
  if (
    config.device_class !== undefined &&
    DEVICE_CLASSES[component] &&
    !DEVICE_CLASSES[component].includes(config.device_class as string)
  )
    out.push(`device_class ${String(config.device_class)}`);
  const device = config.device as { identifiers?: unknown; connections?: unknown; name?: unknown } | undefined;
  if (device) {
    if (
      !(
        Array.isArray(device.identifiers) &&
        device.identifiers.length &&
        device.identifiers.every((i) => typeof i === 'string')
      )
    )
      out.push('device needs identifiers (a list of strings)');
    if (typeof device.name !== 'string') out.push('device name should be a string');
  }
  const origin = config.origin as { name?: unknown } | undefined;
  if (origin && typeof origin.name !== 'string') out.push('origin needs a name');
  if (typeof config.unique_id !== 'string' || !config.unique_id)
    out.push('no unique_id (the entity could not be changed in HA)');
  return out;
}
