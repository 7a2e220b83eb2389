/**
 * @module `state@1`: a state classifier trained on the box (`model: custom/<name>`, a head of kind
 * state) looks at its region of the picture every `every_s` seconds; a new state confirmed by
 * `confirm` looks in a row, each scoring `min_score` or more (hysteresis), becomes a `state` event
 * (`label`: the classifier, `state`, `previous`, `score`), stored, sent on the WebSocket feed and to
 * webhooks as any event is. The region's current state is on the frame (`outputs.<stage>`).
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../types';
import { topK } from '../../inference/preprocess';
import { AppError } from '../../shared/errors';
import { customHead, regionOf, sourceOf } from './head';
import { StateMachine } from '../state-machine';

export interface StateOutput {
  /** The confirmed state (null until one is). */
  state: string | null;
  /** The latest look: its top class and score (null on frames between looks). */
  seen: { label: string; score: number } | null;
}

export const stateStage = defineStage({
  type: 'state',
  version: 1,
  description: "A region's state by a state classifier trained on the box; state events when it changes.",
  options: Type.Object(
    {
      model: Type.String({
        pattern: '^custom/',
        description: 'custom/<name>: a state classifier trained on this box.',
      }),
      every_s: Type.Number({ default: 2, minimum: 0, description: 'Seconds between two looks at the region.' }),
      min_score: Type.Number({
        default: 0.6,
        minimum: 0,
        maximum: 1,
        description: 'A look counts toward a new state only at this score or more.',
      }),
      confirm: Type.Integer({
        default: 2,
        minimum: 1,
        maximum: 20,
        description: 'Looks in a row that must agree before the state changes (hysteresis).',
      }),
    },
    { additionalProperties: false },
  ),
  async create(o, deps) {
    const head = await customHead(o.model, deps, (probs) =>
      topK(probs, 1).map((c) => ({ label: String(c.index), score: Math.round(c.score * 1e4) / 1e4 })),
    );
    if (head.card.kind !== 'state' || !head.card.region)
      throw new AppError('config_invalid', `state: ${o.model} is an ${head.card.kind} classifier, not a state one`);
    const [x1, y1, x2, y2] = head.card.region;
    const machine = new StateMachine(o.confirm, o.min_score);
    let last = Number.NEGATIVE_INFINITY;
    // Looks go one after another: each depends on the ones before it.
    let chain: Promise<void> = Promise.resolve();
    return {
      run(frame) {
        if (frame.final) return;
        const mine = chain.then(async () => {
          const out: StateOutput = { state: machine.state, seen: null };
          if (frame.ptsS - last >= o.every_s) {
            last = frame.ptsS;
            const src = await sourceOf(frame, deps.imaging);
            const w = src.whole;
            const region = regionOf(
              [w.left + x1 * w.width, w.top + y1 * w.height, w.left + x2 * w.width, w.top + y2 * w.height],
              src.raw.width,
              src.raw.height,
            );
            const top = region ? (await head.classify(src.raw, region))[0] : undefined;
            if (top) {
              out.seen = top;
              const change = machine.see(top.label, top.score);
              if (change) {
                out.state = change.state;
                frame.events.push({
                  id: Bun.randomUUIDv7(),
                  event: { type: 'state', label: head.card.name, ...change, ts: frame.ptsS },
                  snapshotKey: null,
                  imageId: null,
                });
              }
            }
          }
          frame.outputs[deps.stage ?? 'state'] = out;
        });
        chain = mine.catch(() => undefined);
        return mine;
      },
    };
  },
});
