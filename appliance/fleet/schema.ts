/**
 * @module The files of a fleet repo: `fleet.yaml` (defaults for every box), `groups/<group>.yaml`,
 * `devices/<device-id>.yaml` and `pipelines/<name>.yaml` (the pipeline file format). Each level
 * carries a partial appliance config and streams; the merge (see render.ts) is defaults < groups
 * (in the order a device lists them) < device, and the result is checked against the appliance
 * config schema. Unknown keys are errors, as everywhere else.
 */
import { Type, type Static } from '@sinclair/typebox';

const NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';

/** A partial appliance config: any keys of it except the ones the fleet sets itself. */
const PartialConfig = Type.Record(Type.String(), Type.Unknown(), {
  default: {},
  description:
    'Keys of the appliance config (fovea.schema.json) to set at this level; objects merge, other values replace. Not streams, device_id, state_dir, pipelines (the fleet sets those) or fleet (where a box pulls from is in its local config).',
});

/** A stream entry: at least an id; the merged entry must be a full stream of the appliance config. */
const Stream = Type.Object(
  { id: Type.String({ pattern: NAME }) },
  {
    additionalProperties: true,
    description:
      'A stream of the appliance config. Entries with the same id at a later level merge over earlier ones; `enabled: false` turns one off for a group or a device.',
  },
);

const level = {
  description: Type.String({ default: '' }),
  config: PartialConfig,
  streams: Type.Array(Stream, { default: [] }),
};

export const FleetFile = Type.Object(
  {
    ...level,
    branch: Type.String({
      default: 'main',
      minLength: 1,
      description: 'The branch (or tag) boxes follow unless a group says otherwise.',
    }),
    require_signed: Type.Boolean({
      default: false,
      description: 'Apply only commits signed by a key of allowed_signers (git SSH signatures).',
    }),
  },
  { additionalProperties: false, title: 'fovea fleet.yaml' },
);
export type FleetFile = Static<typeof FleetFile>;

export const GroupFile = Type.Object(
  {
    ...level,
    branch: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Boxes of this group follow this branch or tag (a canary group first, then promote).',
      }),
    ),
  },
  { additionalProperties: false, title: 'fovea fleet group' },
);
export type GroupFile = Static<typeof GroupFile>;

export const DeviceFile = Type.Object(
  {
    ...level,
    groups: Type.Array(Type.String({ pattern: NAME }), {
      default: [],
      description: 'Groups of this box, merged in this order (a later one wins).',
    }),
  },
  { additionalProperties: false, title: 'fovea fleet device' },
);
export type DeviceFile = Static<typeof DeviceFile>;

/** Config keys that only the fleet sets. */
export const FLEET_OWNED = ['streams', 'device_id', 'state_dir', 'pipelines', 'fleet'] as const;

export const NAME_PATTERN = new RegExp(NAME);
