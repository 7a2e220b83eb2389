/**
 * @module The state of a region as a state classifier sees it, with hysteresis: a new state is taken
 * only after `confirm` classifications in a row agree on it, each at `minScore` or more, so one
 * uncertain look does not flip it. The first state is taken the same way. Pure.
 */

export interface StateChange {
  state: string;
  previous: string | null;
  /** The score of the classification that confirmed it. */
  score: number;
}

export class StateMachine {
  private current: string | null = null;
  private pending: { state: string; n: number } | null = null;

  constructor(
    private readonly confirm: number,
    private readonly minScore: number,
  ) {}

  get state(): string | null {
    return this.current;
  }

  /** One classification; the change it confirms, or null. */
  see(state: string, score: number): StateChange | null {
    if (score < this.minScore || state === this.current) {
      this.pending = null;
      return null;
    }
    this.pending = this.pending?.state === state ? { state, n: this.pending.n + 1 } : { state, n: 1 };
    if (this.pending.n < this.confirm) return null;
    const change = { state, previous: this.current, score };
    this.current = state;
    this.pending = null;
    return change;
  }
}
