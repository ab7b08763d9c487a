// Wire constants of protocol version 1 (docs/protocol.md is the normative description).

/** First byte of every datagram: version in the high nibble, message type in the low nibble. */
export const TYPE_INITIATION = 0x11;
export const TYPE_RESPONSE = 0x12;
export const TYPE_COOKIE = 0x13;
export const TYPE_DATA = 0x14;
export const TYPE_CONTROL = 0x15;

/** type(1) receiver index(4) path id(1) packet number low 32 bits(4): authenticated as associated data. */
export const HEADER_BYTES = 10;
export const TAG_BYTES = 16;
/** Session-wide sequence number of a data packet, first bytes of its plaintext (reordering, duplicates). */
export const SEQ_BYTES = 4;
/** Bytes a data packet adds on top of the inner IP packet, inside the UDP payload. */
export const DATA_OVERHEAD = HEADER_BYTES + SEQ_BYTES + TAG_BYTES;

export const MAX_PATHS = 16;

/** Timers and thresholds; every field can be overridden (tests shorten the rekey interval). Milliseconds. */
export interface Timing {
  /** The initiator starts a new handshake when its current keys are this old. */
  rekeyAfterMs: number;
  /** Keys older than this are never used to send or receive. */
  rejectAfterMs: number;
  /** The initiator rekeys after this many packets under one key (either direction). */
  rekeyAfterPackets: number;
  /** Handshake retransmission interval (a random 0..1/3 of it is added). */
  handshakeRetryMs: number;
  /** The client re-handshakes when nothing authenticated arrived for this long although it sent. */
  sessionDeadMs: number;
  /** A path that sent nothing ack-eliciting for this long sends a probe. */
  probeIntervalMs: number;
  /** Probe interval on a suspect or probing path. */
  suspectProbeMs: number;
  /** Bounds of the no-feedback timeout (3 x RTT) that makes a path suspect. */
  suspectMinMs: number;
  suspectMaxMs: number;
  /** Acknowledgements to ack-eliciting packets are sent after this delay or `ackEvery` packets. */
  ackDelayMs: number;
  ackEvery: number;
  /** Bounds of the receiver's reorder hold time. */
  minHoldMs: number;
  maxHoldMs: number;
  /** Packets waiting longer than this in the ingress queue are dropped (the inner TCP sees a loss). */
  queueSojournMs: number;
  /** Acknowledged probes a suspect path needs before it carries data again. */
  readmitProbes: number;
}

export const DEFAULT_TIMING: Timing = {
  rekeyAfterMs: 120_000,
  rejectAfterMs: 180_000,
  rekeyAfterPackets: 2 ** 30,
  handshakeRetryMs: 1000,
  sessionDeadMs: 2000,
  probeIntervalMs: 200,
  suspectProbeMs: 100,
  suspectMinMs: 150,
  suspectMaxMs: 1000,
  ackDelayMs: 5,
  ackEvery: 4,
  minHoldMs: 10,
  maxHoldMs: 400,
  queueSojournMs: 250,
  readmitProbes: 2,
};
