/**
 * The readable `wanbond status` output: a summary line, the tunnel, one row per link and the totals. Works on
 * the JSON reply (any field may be missing from an older or newer daemon), never on internal types.
 */

type Json = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || seconds < 0) return '-';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d${String(h).padStart(2, '0')}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(v < 0.1 && v > 0 ? 1 : 0)}%`);
const kbit = (v: number | undefined) => (v === undefined ? '-' : v >= 1000 ? `${(v / 1000).toFixed(1)}M` : `${v}k`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `nowSeconds` (epoch) turns last_change into "how long ago". */
export function formatStatusTable(reply: Json, nowSeconds: number): string {
  const tunnel = (reply.tunnel && typeof reply.tunnel === 'object' ? reply.tunnel : {}) as Json;
  const links = (Array.isArray(reply.links) ? reply.links : []) as Json[];
  const totals = (reply.totals && typeof reply.totals === 'object' ? reply.totals : {}) as Json;
  const out: string[] = [];
  const role = str(reply.role) || 'wanbond';
  const server = str(reply.server);
  const port = num(reply.port);
  const mode = str(reply.mode);
  const state = str(reply.state) || 'unknown';
  const uptime = num(reply.uptime);
  out.push(
    `${role}: ${state}` +
      (server ? `, server ${server}${port !== undefined ? `:${port}` : ''}` : '') +
      (mode ? `, mode ${mode}` : '') +
      (state === 'established' && uptime !== undefined ? `, up ${formatDuration(uptime)}` : ''),
  );
  const tparts = [
    str(tunnel.device) && `tunnel ${str(tunnel.device)}`,
    Array.isArray(tunnel.addresses) ? (tunnel.addresses as unknown[]).map(str).join(' ') : str(tunnel.address),
    num(tunnel.mtu) !== undefined && `mtu ${num(tunnel.mtu)}`,
    num(tunnel.reorder_depth) !== undefined && `reorder ${num(tunnel.reorder_depth)}`,
    num(tunnel.resent_packets) !== undefined && `resent ${num(tunnel.resent_packets)}`,
    num(tunnel.skipped_packets) !== undefined && `skipped ${num(tunnel.skipped_packets)}`,
    num(tunnel.duplicate_overhead) !== undefined && `duplicates ${pct(num(tunnel.duplicate_overhead))}`,
    num(tunnel.bonded_of_estimates) !== undefined && `bonded/estimates ${pct(num(tunnel.bonded_of_estimates))}`,
  ].filter(Boolean);
  if (tparts.length > 0) out.push(tparts.join(', '));
  out.push('');
  const clients = (Array.isArray(reply.clients) ? reply.clients : undefined) as Json[] | undefined;
  if (clients) {
    out.push(clients.length === 0 ? 'no clients' : clientTable(clients));
  } else if (links.length === 0) {
    out.push('no links');
  } else {
    const rows = [
      ['LINK', 'INTERFACE', 'DEVICE', 'SOURCE', 'STATE', 'RTT', 'LOSS', 'CAP UP/DOWN', 'SHARE', 'TX', 'RX', 'SINCE'],
    ];
    for (const l of links) {
      const lc = num(l.last_change);
      const rtt = num(l.rtt_ms);
      rows.push([
        str(l.name) + (l.backup === true ? ' (backup)' : ''),
        str(l.interface) || '-',
        str(l.device) || '-',
        str(l.source) || '-',
        str(l.state) + (l.error ? ` (${str(l.error)})` : ''),
        rtt === undefined ? '-' : `${rtt.toFixed(1)}ms`,
        pct(num(l.loss)),
        `${kbit(num(l.capacity_up_kbit))}/${kbit(num(l.capacity_down_kbit))}`,
        pct(num(l.share)),
        formatBytes(num(l.tx_bytes)),
        formatBytes(num(l.rx_bytes)),
        lc === undefined ? '-' : formatDuration(nowSeconds - lc),
      ]);
    }
    out.push(table(rows));
  }
  out.push('');
  const up = num(totals.links_up);
  const all = num(totals.links) ?? links.length;
  out.push(
    `total: tx ${formatBytes(num(totals.tx_bytes))}, rx ${formatBytes(num(totals.rx_bytes))}` +
      (up !== undefined ? `, ${up}/${all} links up` : '') +
      (num(totals.capacity_up_kbit) !== undefined || num(totals.capacity_down_kbit) !== undefined
        ? `, capacity ${kbit(num(totals.capacity_up_kbit))}/${kbit(num(totals.capacity_down_kbit))}bit/s`
        : ''),
  );
  return `${out.join('\n')}\n`;
}

/** Server side: one row per path of each client (its remote address as seen by the server). */
function clientTable(clients: Json[]): string {
  const rows = [['CLIENT', 'ADDRESS', 'STATE', 'UP', 'LINK', 'FROM', 'LINK STATE', 'RTT', 'LOSS', 'SHARE', 'TX', 'RX']];
  for (const c of clients) {
    const head = [str(c.name), str(c.tunnel_address) || '-', str(c.state), formatDuration(num(c.uptime))];
    const links = (Array.isArray(c.links) ? c.links : []) as Json[];
    if (links.length === 0)
      rows.push([...head, '-', '-', '-', '-', '-', '-', formatBytes(num(c.tx_bytes)), formatBytes(num(c.rx_bytes))]);
    links.forEach((l, i) => {
      const rtt = num(l.rtt_ms);
      rows.push([
        ...(i === 0 ? head : ['', '', '', '']),
        str(l.name),
        str(l.source) || '-',
        str(l.state),
        rtt === undefined ? '-' : `${rtt.toFixed(1)}ms`,
        pct(num(l.loss)),
        pct(num(l.share)),
        formatBytes(num(l.tx_bytes)),
        formatBytes(num(l.rx_bytes)),
      ]);
    });
  }
  return table(rows);
}
