/**
 * A sum that forgets exponentially (time constant `tauMs`): "recently" in the stats without keeping a history.
 * In steady state value / tauMs is the rate per ms.
 */
export class Decaying {
  private v = 0;
  private at = 0;

  constructor(private readonly tauMs = 2000) {}

  add(x: number, now: number): void {
    this.v = this.value(now) + x;
    this.at = now;
  }

  value(now: number): number {
    return now > this.at ? this.v * Math.exp(-(now - this.at) / this.tauMs) : this.v;
  }

  rate(now: number): number {
    return this.value(now) / this.tauMs;
  }
}
