import { describe, expect, it } from 'vitest';
import { EngineDriver, type Timed } from '../../../src/wanbond/io/driver.js';

/** A stand-in with a schedule of deadlines: records when onTimer ran on the real clock. */
class Schedule implements Timed {
  fired: number[] = [];
  constructor(private deadlines: number[]) {}
  onTimer(now: number): void {
    while (this.deadlines.length > 0 && (this.deadlines[0] as number) <= now) this.fired.push(this.deadlines.shift()!);
  }
  nextTimer(): number | undefined {
    return this.deadlines[0];
  }
  add(at: number): void {
    this.deadlines.push(at);
    this.deadlines.sort((a, b) => a - b);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('engine driver', () => {
  it('runs the engine timer at its deadlines, never before, and drains after each event', async () => {
    const t0 = performance.now();
    const engine = new Schedule([t0 + 20, t0 + 40]);
    let flushes = 0;
    const driver = new EngineDriver(
      engine,
      () => flushes++,
      (e) => expect.fail(String(e)),
    );
    driver.kick();
    expect(flushes).toBe(1);
    await sleep(80);
    expect(engine.fired).toEqual([t0 + 20, t0 + 40]);
    expect(flushes).toBeGreaterThanOrEqual(3);
    driver.stop();
  });

  it('re-arms earlier when an event brings the deadline forward', async () => {
    const t0 = performance.now();
    const engine = new Schedule([t0 + 500]);
    const driver = new EngineDriver(
      engine,
      () => {},
      (e) => expect.fail(String(e)),
    );
    driver.kick();
    driver.event(() => engine.add(t0 + 15));
    await sleep(60);
    expect(engine.fired).toEqual([t0 + 15]);
    driver.stop();
    await sleep(10);
  });

  it('logs an engine exception and keeps running', () => {
    const errors: unknown[] = [];
    const driver = new EngineDriver(
      new Schedule([]),
      () => {},
      (e) => errors.push(e),
    );
    driver.event(() => {
      throw new Error('boom');
    });
    let ran = false;
    driver.event(() => {
      ran = true;
    });
    expect(errors).toHaveLength(1);
    expect(ran).toBe(true);
    driver.stop();
  });

  it('does nothing after stop', async () => {
    const t0 = performance.now();
    const engine = new Schedule([t0 + 10]);
    const driver = new EngineDriver(
      engine,
      () => {},
      () => {},
    );
    driver.kick();
    driver.stop();
    await sleep(30);
    expect(engine.fired).toEqual([]);
  });
});
