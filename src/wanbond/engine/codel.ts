/**
 * CoDel (RFC 8289) on the tunnel's ingress queue: when packets have waited more than `target` for a whole
 * `interval`, drop (or ECN-mark) one, then more often, so the user's TCP backs off before the queue grows and the
 * tunnel keeps latency low under load. Sojourn time, not length, is what counts: the paths drain at varying rates.
 */
export class CoDel {
  private firstAboveAt = 0;
  private dropping = false;
  private dropNext = 0;
  private count = 0;
  private lastCount = 0;

  constructor(
    private readonly targetMs = 15,
    private readonly intervalMs = 100,
  ) {}

  private okToDrop(sojourn: number, backlog: number, now: number): boolean {
    if (sojourn < this.targetMs || backlog <= 1) {
      this.firstAboveAt = 0;
      return false;
    }
    if (this.firstAboveAt === 0) {
      this.firstAboveAt = now + this.intervalMs;
      return false;
    }
    return now >= this.firstAboveAt;
  }

  /** Called for the packet at the head as it leaves; true means drop (or mark) it. */
  shouldDrop(sojourn: number, backlog: number, now: number): boolean {
    const ok = this.okToDrop(sojourn, backlog, now);
    if (this.dropping) {
      if (!ok) {
        this.dropping = false;
        return false;
      }
      if (now >= this.dropNext) {
        this.count++;
        this.dropNext += this.intervalMs / Math.sqrt(this.count);
        return true;
      }
      return false;
    }
    if (!ok) return false;
    this.dropping = true;
    const recent = now - this.dropNext < 8 * this.intervalMs;
    this.count = recent && this.count - this.lastCount > 2 ? this.count - this.lastCount : 1;
    this.lastCount = this.count;
    this.dropNext = now + this.intervalMs / Math.sqrt(this.count);
    return true;
  }
}

/**
 * Sets Congestion Experienced on an ECN-capable IPv4/IPv6 packet (in place, IPv4 checksum updated per RFC 1624);
 * false when the packet is not ECN-capable (then it must be dropped instead).
 */
export function markCongestion(p: Buffer): boolean {
  const version = p[0]! >> 4;
  if (version === 4 && p.length >= 20) {
    const ecn = p[1]! & 3;
    if (ecn === 0) return false;
    if (ecn === 3) return true;
    const oldWord = (p[0]! << 8) | p[1]!;
    p[1] = p[1]! | 3;
    const newWord = (p[0]! << 8) | p[1]!;
    let sum = (~p.readUInt16BE(10) & 0xffff) + (~oldWord & 0xffff) + newWord;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    p.writeUInt16BE(~sum & 0xffff, 10);
    return true;
  }
  if (version === 6 && p.length >= 40) {
    const ecn = (p[1]! >> 4) & 3;
    if (ecn === 0) return false;
    p[1] = p[1]! | 0x30;
    return true;
  }
  return false;
}
