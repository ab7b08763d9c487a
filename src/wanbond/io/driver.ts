/** Deadlines closer than this run on setImmediate rather than setTimeout. */
const SUB_MS = 1;

/** The part of both engine kinds the event loop needs to keep time for them. */
export interface Timed {
  onTimer(now: number): void;
  nextTimer(): number | undefined;
}

/**
 * Runs an engine's events on the Node event loop: every event is stamped with `now` from one monotonic clock, the
 * engine's effects are drained right after it (`flush`), and exactly ONE timer is kept armed for the engine's
 * next deadline. The timer is only re-armed when the deadline moves earlier: firing early is harmless (the engine
 * just finds nothing due and names its next deadline), while a setTimeout per packet would cost more than the
 * packet itself.
 */
export class EngineDriver {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private engine: Timed,
    private readonly flush: () => void,
    private readonly onError: (err: unknown) => void,
    readonly clock: () => number = () => performance.now(),
  ) {}

  /** Swaps the engine (a reload that needs new keys); the old one's timer is forgotten. */
  setEngine(engine: Timed): void {
    this.engine = engine;
    this.disarm();
    this.arm();
  }

  /** Runs one engine event, then drains and re-arms. An engine exception is logged, never fatal to the daemon. */
  event(fn: (now: number) => void): void {
    if (this.stopped) return;
    try {
      fn(this.clock());
      this.flush();
    } catch (err) {
      this.onError(err);
    }
    this.arm();
  }

  /** For start-up and after external changes (path up/down): drain whatever the engine has and arm its timer. */
  kick(): void {
    this.event(() => {});
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.engine.nextTimer();
    if (next === undefined || next >= this.armedAt) return;
    this.disarm();
    this.armedAt = next;
    const fire = () => {
      this.timer = undefined;
      this.immediate = undefined;
      this.armedAt = Number.POSITIVE_INFINITY;
      this.event((now) => this.engine.onTimer(now));
    };
    const delay = next - this.clock();
    // setTimeout cannot wait less than a millisecond (and often waits two): a pacing deadline a fraction of a
    // millisecond away runs after the pending I/O instead, else pacing would cap throughput at ~1 burst per ms.
    if (delay < SUB_MS) this.immediate = setImmediate(fire);
    else this.timer = setTimeout(fire, Math.ceil(delay));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }
}
