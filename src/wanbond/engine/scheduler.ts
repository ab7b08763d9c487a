import type { Mode, PathId, PathMask } from './api.js';
import { type Path, QUEUE_TARGET_MS } from './path.js';

/** Every path, the mask of unrestricted traffic (also covers ids above 31, which no other mask can name). */
export const ALL_PATHS: PathMask = -1;

/** Whether `mask` lets path `id` carry a packet. */
export function allows(mask: PathMask, id: PathId): boolean {
  return mask === ALL_PATHS || (id < 32 && ((mask >>> id) & 1) === 1);
}

/** The mask of these path ids; ids above 31 cannot be named and are left out. */
export function pathMask(ids: Iterable<PathId>): PathMask {
  let m = 0;
  for (const id of ids) if (Number.isInteger(id) && id >= 0 && id < 32) m |= 1 << id;
  return m;
}

/**
 * First scheduler: earliest expected arrival among paths with congestion window left. `eta` already weighs a path
 * by its measured delivery rate (its backlog drains at that rate), so faster paths take proportionally more.
 * Only paths in `allowed` are considered (the session widens it to ALL_PATHS when none of them is up).
 * Returns how many paths were written to `out` (0 = nothing can take the packet now; it waits in the queue).
 */
export function pickPaths(
  paths: readonly Path[],
  mode: Mode,
  bytes: number,
  avoid: number,
  sticky: { failover: Path | undefined },
  out: Path[],
  now: number,
  allowed: PathMask = ALL_PATHS,
): number {
  let base = Number.POSITIVE_INFINITY;
  for (const p of paths) if (p.state === 'up' && p.owdMin !== undefined && p.owdMin < base) base = p.owdMin;
  if (mode === 'failover' || mode === 'direct') {
    let active = sticky.failover;
    if (active?.state !== 'up' || active.closed || (allowed !== ALL_PATHS && !allows(allowed, active.id))) {
      active = undefined;
      for (const p of paths) {
        if (p.state !== 'up' || p.closed || (allowed !== ALL_PATHS && !allows(allowed, p.id))) continue;
        if (!active || (p.srtt ?? Infinity) < (active.srtt ?? Infinity)) active = p;
      }
      sticky.failover = active;
    }
    if (!active?.canSend(bytes, now)) return 0;
    out[0] = active;
    return 1;
  }
  let best: Path | undefined;
  let bestEta = Number.POSITIVE_INFINITY;
  let second: Path | undefined;
  let secondEta = Number.POSITIVE_INFINITY;
  let avoided: Path | undefined;
  for (const p of paths) {
    if (p.closed || (allowed !== ALL_PATHS && !allows(allowed, p.id)) || !p.canSend(bytes, now)) continue;
    if (p.id === avoid) {
      avoided = p;
      continue;
    }
    const eta = p.eta(bytes, base);
    if (eta < bestEta) {
      second = best;
      secondEta = bestEta;
      best = p;
      bestEta = eta;
    } else if (eta < secondEta) {
      second = p;
      secondEta = eta;
    }
  }
  if (!best) best = avoided;
  else if (!second && mode === 'redundant') second = avoided;
  if (!best) return 0;
  out[0] = best;
  if (mode === 'redundant' && second) {
    out[1] = second;
    return 2;
  }
  return 1;
}

/** How far past its congestion window a path may go to carry re-sent packets (they are few: the lost ones). */
const RESEND_ALLOWANCE = 16 * 1400;

/**
 * Loss rate (the path's decaying estimate) below which a path's losses count as random noise: its next packet is
 * as likely to arrive as any other path's, so a re-send may go back on it when it is clearly the fastest.
 */
const NOISE_LOSS_RATE = 0.05;
/** How much sooner the path that lost a packet must deliver its re-send than the best other path, ms. */
const SAME_PATH_MARGIN_MS = 5;
/** ... and it must have been heard from this recently (the loss was seen in a fresh ack, not by a timer), ms. */
const SAME_PATH_FRESH_MS = 10;
/** ... with no more queue than this: a loss on a filling queue is an overflow, the next packet would follow it. */
const SAME_PATH_QUEUE_MS = 2 * QUEUE_TARGET_MS;

/** The path that lost a packet looks healthy: random loss on a delivering link with a short queue. */
function noisyButHealthy(p: Path, now: number): boolean {
  return (
    p.loss < NOISE_LOSS_RATE && now - p.lastFeedbackAt <= SAME_PATH_FRESH_MS && p.queueDelay() <= SAME_PATH_QUEUE_MS
  );
}

/**
 * Path for a re-sent packet: the earliest expected arrival among up paths, even when their window is full (within
 * an allowance): a re-send races the receiver's reorder hold, and waiting for window room or taking a slow path
 * would lose that race. The path that lost it competes only while its losses look random (a radio's noise, not an
 * outage or an overflowing queue) and only when it is clearly sooner: on S-lossy most losses are on the fastest
 * link, and sending their re-sends to the next one made every hole one delay difference (15 ms) longer.
 * Only paths in `allowed` are considered, as in pickPaths.
 */
export function pickResendPath(
  paths: readonly Path[],
  bytes: number,
  avoid: number,
  now: number,
  allowed: PathMask = ALL_PATHS,
): Path | undefined {
  let base = Number.POSITIVE_INFINITY;
  for (const p of paths) if (p.state === 'up' && p.owdMin !== undefined && p.owdMin < base) base = p.owdMin;
  let best: Path | undefined;
  let bestEta = Number.POSITIVE_INFINITY;
  let same: Path | undefined;
  let sameEta = Number.POSITIVE_INFINITY;
  for (const p of paths) {
    if (p.closed || p.state !== 'up' || p.blocked()) continue;
    if (allowed !== ALL_PATHS && !allows(allowed, p.id)) continue;
    if (p.id === avoid) {
      const healthy = noisyButHealthy(p, now);
      if (p.canSend(bytes, now) || (healthy && p.inflight + bytes <= p.cwnd + RESEND_ALLOWANCE)) {
        same = p;
        sameEta = healthy ? p.eta(bytes, base) : Number.POSITIVE_INFINITY;
      }
      continue;
    }
    if (p.inflight + bytes > p.cwnd + RESEND_ALLOWANCE) continue;
    const eta = p.eta(bytes, base);
    if (eta < bestEta) {
      best = p;
      bestEta = eta;
    }
  }
  if (same && (!best || sameEta + SAME_PATH_MARGIN_MS < bestEta)) return same;
  return best;
}
