import type { PathId, PathMask } from './api.js';
import { PIN_NONE, writePin } from './frames.js';
import { ALL_PATHS } from './scheduler.js';

/** How long a PIN frame keeps the peer pinned, and how often it is repeated while pinned (docs/protocol.md). */
const PIN_LIFETIME_MS = 3000;
const PIN_REFRESH_MS = 250;
/** The longest pin a peer may ask for in one frame. */
const PIN_MAX_LIFETIME_MS = 10_000;

/**
 * The session-wide pin (the speed test's "one link alone"): which path our data is held to, until when, and what
 * our PIN frames tell the peer. A pin taken from the peer lapses after the lifetime its frame gave, so a lost
 * unpin cannot hold a session on one link; the generation makes a delayed older frame harmless.
 */
export class Pin {
  /** Our data goes only on this path (-1: not pinned) until `until`. */
  private id = -1;
  private until = Number.POSITIVE_INFINITY;
  /** Generation of the newest PIN frame taken from the peer (-1: none yet). */
  private peerGen = -1;
  /** What our PIN frames say (-1: we send none; PIN_NONE: unpinned, said until `announceUntil`). */
  private announced = -1;
  private announceUntil = Number.POSITIVE_INFINITY;
  private gen = 0;
  private sentAt = Number.NEGATIVE_INFINITY;

  /** The pinned path while the pin holds, else undefined. */
  pathAt(now: number): PathId | undefined {
    if (this.id < 0) return undefined;
    if (now >= this.until) {
      this.id = -1;
      return undefined;
    }
    return this.id;
  }

  /** Whether a pin is set (it may have lapsed; `pathAt` says). */
  get active(): boolean {
    return this.id >= 0;
  }

  /** Paths our data is pinned to now; ALL_PATHS when not pinned. An id above 31 has no bit: an empty mask. */
  mask(now: number): PathMask {
    const id = this.pathAt(now);
    if (id === undefined) return ALL_PATHS;
    return id < 32 ? 1 << id : 0;
  }

  /** Pins our data to one path (-1: unpins). True when the path changed (failover picks its path afresh). */
  set(pathId: number, until: number): boolean {
    const changed = pathId !== this.id;
    this.id = pathId;
    this.until = until;
    return changed;
  }

  /** Our PIN frames from now on say `pathId` (undefined: unpinned, said for one pin lifetime), starting at once. */
  announce(pathId: PathId | undefined, now: number): void {
    this.gen = (this.gen + 1) & 0xff;
    this.announced = pathId ?? PIN_NONE;
    this.announceUntil = pathId === undefined ? now + PIN_LIFETIME_MS : Number.POSITIVE_INFINITY;
    this.sentAt = Number.NEGATIVE_INFINITY;
  }

  /** The path our PIN frames name (PIN_NONE for an unpin), or undefined when we send none. */
  get announcedPath(): number | undefined {
    return this.announced < 0 ? undefined : this.announced;
  }

  /** A PIN frame is due in what goes out now. */
  due(now: number): boolean {
    if (this.announced < 0) return false;
    if (now >= this.announceUntil) {
      this.announced = -1;
      return false;
    }
    return now >= this.sentAt + PIN_REFRESH_MS;
  }

  /** When the next PIN frame is due, for the session's timer; undefined when none will be. */
  nextDue(): number | undefined {
    return this.announced < 0 ? undefined : Math.min(this.sentAt + PIN_REFRESH_MS, this.announceUntil);
  }

  /** Nothing could carry the frame now: try again one refresh interval later. */
  deferred(now: number): void {
    this.sentAt = now;
  }

  /** Writes our PIN frame at `off`; returns the offset after it. */
  write(buf: Buffer, off: number, now: number): number {
    this.sentAt = now;
    const lifetime = this.announced === PIN_NONE ? 0 : PIN_LIFETIME_MS;
    return writePin(buf, off, this.gen, this.announced, lifetime);
  }

  /** A PIN frame from the peer (one older than what was taken, a delayed frame, is ignored); true when the path changed. */
  fromPeer(generation: number, pathId: number, lifetimeMs: number, now: number): boolean {
    if (this.peerGen >= 0 && ((generation - this.peerGen) & 0xff) >= 128) return false;
    this.peerGen = generation;
    if (pathId === PIN_NONE) return this.set(-1, Number.POSITIVE_INFINITY);
    return this.set(pathId, now + Math.min(lifetimeMs, PIN_MAX_LIFETIME_MS));
  }
}
