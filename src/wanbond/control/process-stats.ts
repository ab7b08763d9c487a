import { readdirSync } from 'node:fs';

/**
 * The daemon process's own resources, for the `process` section of `status`: what a leak shows up in (memory,
 * file descriptors, timers, sockets). The fault tests read it before and after a link flaps for a minute.
 */
export interface ProcessReply {
  rss_kb: number;
  heap_used_kb: number;
  /** Buffers outside the JS heap (packet buffers live here). */
  external_kb: number;
  /** Open file descriptors (absent where /proc/self/fd is not readable). */
  fds?: number;
  /** Resources keeping the event loop alive, by kind (Node's getActiveResourcesInfo; unref'ed timers not counted). */
  handles: { timers: number; sockets: number; other: number };
}

const SOCKET_KINDS = new Set([
  'UDPWrap',
  'UDPWRAP',
  'TCPWrap',
  'TCPWRAP',
  'TCPServerWrap',
  'PipeWrap',
  'PipeServerWrap',
]);

function openFds(): number | undefined {
  try {
    // The directory listing holds one descriptor of its own while it runs.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

export function processStats(): ProcessReply {
  const mem = process.memoryUsage();
  const handles = { timers: 0, sockets: 0, other: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'Timeout') handles.timers++;
    else if (SOCKET_KINDS.has(kind)) handles.sockets++;
    else handles.other++;
  }
  const fds = openFds();
  return {
    rss_kb: Math.round(mem.rss / 1024),
    heap_used_kb: Math.round(mem.heapUsed / 1024),
    external_kb: Math.round(mem.external / 1024),
    ...(fds !== undefined ? { fds } : {}),
    handles,
  };
}
