'use strict';
'require baseclass';
'require wanbond.format as format';

/*
 * Turns the daemon's `wanbond status` reply (or the error LuCI's rpc layer
 * hands back instead) into what the Status tab shows: a health verdict with
 * a sentence telling the admin what to do, the tunnel summary, one row per
 * link and the totals. Pure: the caller passes "now" and the measured rates.
 */

/* ubus status codes as rpcd relays them (libubus: enum ubus_msg_status). */
const UBUS_METHOD_NOT_FOUND = 3;
const UBUS_NOT_FOUND = 4;
const UBUS_PERMISSION_DENIED = 6;
const UBUS_TIMEOUT = 7;

/*
 * The daemon's names (src/wanbond/control/types.ts): links are up | probing | suspect | down | disabled; the
 * session is established | handshaking | idle | disabled. Other names are accepted for older/newer daemons.
 */
const STATE_CLASS = {
	up: 'ok', connected: 'ok', established: 'ok', running: 'ok', active: 'ok', online: 'ok',
	connecting: 'warn', handshake: 'warn', handshaking: 'warn', starting: 'warn', probing: 'warn', suspect: 'warn',
	degraded: 'warn', reconnecting: 'warn', idle: 'warn', standby: 'idle', backup: 'idle',
	down: 'bad', unreachable: 'bad', failed: 'bad', error: 'bad', stopped: 'bad', dead: 'bad', offline: 'bad',
	disabled: 'off'
};

/* Theme-independent colours: LuCI themes disagree on label classes, the meaning must not. */
const CLASS_COLOUR = { ok: '#2e7d32', warn: '#ef6c00', idle: '#1565c0', bad: '#c62828', off: '#757575' };

function stateClass(state) {
	return STATE_CLASS[String(state || '').toLowerCase()] || 'off';
}

function stateLabel(state) {
	switch (String(state || '').toLowerCase()) {
	case 'up': case 'connected': case 'established': case 'running': case 'active': case 'online':
		return _('Up');
	case 'connecting': case 'handshake': case 'handshaking': case 'starting': case 'reconnecting':
		return _('Connecting');
	case 'probing':
		return _('Probing');
	case 'suspect':
		return _('Suspect');
	case 'idle':
		return _('Not connected');
	case 'degraded':
		return _('Degraded');
	case 'standby': case 'backup':
		return _('Standby');
	case 'down': case 'failed': case 'error': case 'stopped': case 'dead': case 'offline':
		return _('Down');
	case 'unreachable':
		return _('Unreachable');
	case 'disabled':
		return _('Disabled');
	case '': case 'unknown':
		return _('Unknown');
	default:
		return String(state);
	}
}

function num(v) {
	return typeof v === 'number' && isFinite(v) ? v : null;
}

/*
 * Times from the daemon: epoch seconds (or milliseconds). Anything smaller
 * than 2001-09-09 is taken as "seconds ago", which is what a counter of
 * seconds since the change looks like.
 */
function toEpochMs(v, nowMs) {
	v = num(v);
	if (v == null)
		return null;
	if (v >= 1e12)
		return v;
	if (v >= 1e9)
		return v * 1000;
	return nowMs - v * 1000;
}

/* Loss and share may come as a ratio (0..1) or as a percentage; a value above 1 can only be a percentage. */
function ratio(v) {
	v = num(v);
	if (v == null)
		return null;
	return v > 1 ? v / 100 : v;
}

/*
 * Classify what the rpc call produced: a reply object, a bare ubus error
 * code (rpc.declare without `reject`), or an Error thrown by the transport.
 */
function health(reply) {
	/*
	 * uhttpd answers a call to an object ubusd does not have (the daemon is not running) or one the session's ACL
	 * does not grant with a JSON-RPC error (uhttpd ubus.c: -32000 object, -32002 access, -32003 timeout), which
	 * rpc.js throws; LuCI appends the stack to the message, so only its first line is shown.
	 */
	if (reply instanceof Error) {
		const msg = String(reply.message || '').split('\n')[0];
		if (/-32000|Object not found/.test(msg))
			reply = UBUS_NOT_FOUND;
		else if (/-32002|Access denied/.test(msg))
			reply = UBUS_PERMISSION_DENIED;
		else if (/-32003/.test(msg))
			reply = UBUS_TIMEOUT;
		else
			return { kind: 'error', cls: 'bad', title: _('Cannot reach the router'), text: format.fmt(_('The request failed: %s. Reload the page; if it persists, log in again.'), msg) };
	}
	if (typeof reply === 'number') {
		switch (reply) {
		case UBUS_NOT_FOUND:
			return { kind: 'not-running', cls: 'bad', title: _('The wanbond daemon is not running'),
				text: _('Enable and start "wanbond" under System > Startup (or run /etc/init.d/wanbond start), then look at System > System Log for the reason it stopped.') };
		case UBUS_PERMISSION_DENIED:
			return { kind: 'denied', cls: 'bad', title: _('Access denied'),
				text: _('This login may not read the wanbond status. After installing luci-app-wanbond, run /etc/init.d/rpcd reload and log in again.') };
		case UBUS_TIMEOUT:
			return { kind: 'timeout', cls: 'warn', title: _('The wanbond daemon does not answer'),
				text: _('It may be busy or stuck. Wait a few seconds; if this stays, restart it under System > Startup.') };
		case UBUS_METHOD_NOT_FOUND:
			return { kind: 'old-daemon', cls: 'bad', title: _('The installed wanbond is too old for this page'),
				text: _('Update the wanbond and luci-app-wanbond packages to the same version.') };
		default:
			return { kind: 'error', cls: 'bad', title: _('The wanbond daemon returned an error'),
				text: format.fmt(_('ubus error code %d. Look at System > System Log for details.'), reply) };
		}
	}
	/* 0 is rpc.js's way of saying "success, but no data". */
	if (reply == null || typeof reply !== 'object')
		return { kind: 'error', cls: 'bad', title: _('No data from the wanbond daemon'), text: _('Reload the page. If it persists, restart wanbond under System > Startup.') };
	return { kind: 'ok', cls: 'ok', title: '', text: '' };
}

/* A failed call's reason in a few words, for dialogs and notifications (the Status tab shows health() in full). */
function reason(reply) {
	if (typeof reply === 'number' && reply !== UBUS_NOT_FOUND)
		return format.fmt(_('ubus error code %d'), reply);
	const h = health(reply);
	if (h.kind === 'not-running')
		return _('the wanbond daemon is not running');
	return h.kind === 'error' ? h.text : h.title;
}

function linkRow(l, nowMs) {
	const state = String(l.state || 'unknown');
	return {
		name: String(l.name || '?'),
		interface: l.interface ? String(l.interface) : '',
		device: l.device ? String(l.device) : '',
		source: l.source ? String(l.source) : '',
		backup: !!l.backup,
		state: state,
		cls: stateClass(state),
		label: stateLabel(state),
		rttMs: num(l.rtt_ms),
		loss: ratio(l.loss),
		capUpKbit: num(l.capacity_up_kbit),
		capDownKbit: num(l.capacity_down_kbit),
		txBytes: num(l.tx_bytes),
		rxBytes: num(l.rx_bytes),
		share: ratio(l.share),
		since: toEpochMs(l.last_change, nowMs),
		error: l.error ? String(l.error) : ''
	};
}

function sum(rows, key) {
	let s = 0;
	let any = false;
	for (let i = 0; i < rows.length; i++) {
		/* Only links that carry traffic now: a standby backup link adds nothing to the bond until it takes over. */
		if (rows[i][key] != null && rows[i].cls === 'ok') {
			s += rows[i][key];
			any = true;
		}
	}
	return any ? s : null;
}

/*
 * What is wrong, most fundamental first, as sentences the admin can act on.
 * Only the first one is shown prominently; the rest would be consequences.
 */
function problems(model) {
	const out = [];
	const t = model.tunnel;
	if (t.cls === 'off')
		out.push({ cls: 'off', text: _('WAN bonding is disabled. Enable it on the Server tab and press Save & Apply.') });
	if (!t.server)
		out.push({ cls: 'bad', text: _('No server is configured. On the VPS run "wanbond pair NAME" and paste the line it prints into "Pairing line" on the Server tab.') });
	if (model.links.length === 0)
		out.push({ cls: 'bad', text: _('No links are configured. Add your WAN interfaces on the Links tab.') });
	else if (model.upLinks === 0)
		out.push({ cls: 'bad', text: _('All links are down. Check the modems and cables, and the WAN interfaces under Network > Interfaces.') });
	else if (t.server && t.cls !== 'ok' && t.cls !== 'off')
		out.push({ cls: t.cls, text: format.fmt(_('The server %s does not answer. Check that wanbond-server runs on the VPS, that UDP port %s is open in its firewall, and that the server key on the Server tab matches the VPS.'), t.server, t.port != null ? String(t.port) : '5555') });
	return out;
}

/*
 * reply: the `status` reply; rates: { links: {name: {up, down}}, total: {up, down} } in kbit/s
 * (from wanbond.history), or null before the second sample.
 */
function build(reply, nowMs, rates) {
	const h = health(reply);
	if (h.kind !== 'ok')
		return { health: h, tunnel: null, links: [], totals: null, problems: [] };

	const tun = reply.tunnel && typeof reply.tunnel === 'object' ? reply.tunnel : {};
	const state = String(reply.state || (reply.enabled === false ? 'disabled' : 'unknown'));
	const server = reply.server != null ? String(reply.server) : '';
	const port = num(reply.port) != null ? num(reply.port) : num(tun.port);

	const links = (Array.isArray(reply.links) ? reply.links : []).map((l) => {
		const row = linkRow(l || {}, nowMs);
		const r = rates && rates.links ? rates.links[row.name] : null;
		row.upKbit = r ? num(r.up) : null;
		row.downKbit = r ? num(r.down) : null;
		return row;
	});

	const totals = reply.totals && typeof reply.totals === 'object' ? reply.totals : {};
	/* The daemon sums the capacities of the links that are up; older daemons leave it to us. */
	const capUp = num(totals.capacity_up_kbit) != null ? num(totals.capacity_up_kbit) : sum(links, 'capUpKbit');
	const capDown = num(totals.capacity_down_kbit) != null ? num(totals.capacity_down_kbit) : sum(links, 'capDownKbit');
	const bondUp = rates && rates.total ? num(rates.total.up) : null;
	const bondDown = rates && rates.total ? num(rates.total.down) : null;

	const model = {
		health: h,
		tunnel: {
			state: state,
			cls: stateClass(state),
			label: stateLabel(state),
			server: server,
			port: port,
			uptime: num(reply.uptime),
			publicAddress: tun.public_address || tun.public_ip || reply.public_address || '',
			address: Array.isArray(tun.addresses) && tun.addresses.length ? tun.addresses.join(', ') : tun.address || reply.address || '',
			device: tun.device || tun.tun || '',
			mtu: num(tun.mtu)
		},
		links: links,
		upLinks: links.filter((r) => r.cls === 'ok').length,
		totals: {
			txBytes: num(totals.tx_bytes),
			rxBytes: num(totals.rx_bytes),
			capUpKbit: capUp,
			capDownKbit: capDown,
			bondUpKbit: bondUp,
			bondDownKbit: bondDown,
			pctUp: capUp && bondUp != null ? bondUp / capUp : null,
			pctDown: capDown && bondDown != null ? bondDown / capDown : null
		},
		problems: []
	};
	model.problems = problems(model);
	return model;
}

return baseclass.extend({
	build: build,
	health: health,
	reason: reason,
	stateClass: stateClass,
	stateLabel: stateLabel,
	toEpochMs: toEpochMs,
	colour: function (cls) {
		return CLASS_COLOUR[cls] || CLASS_COLOUR.off;
	}
});
