/**
 * @module The fleet agent over MQTT: its status as a retained message on `<prefix>/<device>/fleet`
 * (sent when the state, the revisions or the last error change, not on every fetch) and a trigger:
 * any message on `<prefix>/<device>/fleet/sync` or, for every box at once, `<prefix>/fleet/sync`
 * fetches the repo now. Follows the runtime's publisher across in-process restarts.
 */
import type { FleetStatus } from './agent';
import type { MqttPublisher } from '../publish/mqtt';

export class FleetMqtt {
  private pub: MqttPublisher | null = null;
  private last = '';
  private latest: FleetStatus | null = null;

  /** Use this runtime's publisher (none when MQTT is off), subscribe the trigger and send the latest status again. */
  attach(pub: MqttPublisher | null, trigger: () => void): void {
    this.pub = pub;
    this.pub?.subscribe(this.pub.topics.fleetSync, trigger);
    this.pub?.subscribe(this.pub.topics.fleetSyncAll, trigger);
    this.last = '';
    if (this.latest) this.status(this.latest);
  }

  status(s: FleetStatus): void {
    this.latest = s;
    const key = JSON.stringify([s.state, s.desired?.sha, s.applied?.sha, s.last_error?.sha, s.last_error?.at]);
    if (!this.pub || key === this.last) return;
    this.last = key;
    const { history: _h, ...brief } = s;
    void this.pub
      .publish({ topic: this.pub.topics.fleet, payload: JSON.stringify(brief), qos: 1, retain: true, kind: 'state' })
      .catch(() => undefined);
  }
}
