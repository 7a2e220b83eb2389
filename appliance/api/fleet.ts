/** @module /api/fleet: which fleet revision the box runs and wants, its state and history; POST /api/fleet/sync fetches now. */
import { Elysia, t } from 'elysia';
import type { FleetStatus } from '../fleet/agent';
import { AppError } from '../shared/errors';

/** The agent as the API sees it; null when the box does not follow a fleet repo. */
export interface FleetControl {
  view(): FleetStatus;
  trigger(): Promise<FleetStatus>;
}

export const fleetApi = (fleet: FleetControl | null) =>
  new Elysia({ name: 'api-fleet', prefix: '/api/fleet', detail: { tags: ['fleet'] } })
    .get('/', () => fleet?.view() ?? { enabled: false }, {
      detail: {
        summary:
          'Fleet revision: desired and applied commit, agent state, the last rejected or rolled-back revision and why, recent history',
      },
    })
    .post(
      '/sync',
      async ({ query, set }) => {
        if (!fleet) throw new AppError('not_found', 'this box does not follow a fleet repo (fleet.repo is empty)');
        if (query.wait) return fleet.trigger();
        void fleet.trigger();
        set.status = 202;
        return { triggered: true };
      },
      {
        query: t.Object({
          wait: t.Optional(
            t.BooleanString({
              description:
                'Answer after the sync (apply and health gate included) with the new status; a change that restarts the runtime is answered as it starts (state applying): poll GET /api/fleet for its outcome.',
            }),
          ),
        }),
        detail: { summary: 'Fetch the fleet repo now (202); with ?wait=true, answer when the sync is over' },
      },
    );
