/**
 * Bytes of inner packets held by the sessions that share this budget (the server's, across all clients): reorder
 * buffers and ingress queues add and subtract as packets come and go, so a check is one comparison, never a scan.
 * Whoever would go over it gives up instead: the ingress queue drops the new packet, the reorder buffer skips its
 * oldest holes (docs/limits.md).
 */
export class ByteBudget {
  used = 0;
  /** Packets dropped, or reorder holes given up on early, because the budget was spent. */
  refused = 0;

  constructor(public limit: number) {}

  fits(bytes: number): boolean {
    return this.used + bytes <= this.limit;
  }
}
