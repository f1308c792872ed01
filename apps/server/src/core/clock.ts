/** Time source, injected so that idle and absolute expiry can be tested without waiting. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #time: number;
  constructor(start: Date = new Date()) {
    this.#time = start.getTime();
  }
  now(): Date {
    return new Date(this.#time);
  }
  advance(ms: number): void {
    this.#time += ms;
  }
  set(date: Date): void {
    this.#time = date.getTime();
  }
}
