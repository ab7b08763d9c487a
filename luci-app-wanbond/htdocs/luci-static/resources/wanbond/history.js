'use strict';
'require baseclass';

/*
 * Keeps the last few minutes of status samples seen by the page: per-link and
 * bonded rates derived from the daemon's byte counters, and the link state
 * changes (failovers). The daemon only reports counters; rates are computed
 * here so that the page does not depend on the daemon's averaging window.
 *
 * Direction names are the router's: "up" = sent towards the server (tx),
 * "down" = received from it (rx). Rates are kbit/s.
 */

const MAX_EVENTS = 50;

function create(windowSec) {
	return {
		windowMs: (windowSec > 0 ? windowSec : 300) * 1000,
		samples: [],
		prev: null,
		states: {},
		events: []
	};
}

function num(v) {
	return typeof v === 'number' && isFinite(v) ? v : null;
}

/* kbit/s from two byte counter readings; null when a counter went backwards (daemon restart) or is missing. */
function rate(prevBytes, curBytes, dtMs) {
	if (prevBytes == null || curBytes == null || !(dtMs > 0) || curBytes < prevBytes)
		return null;
	return ((curBytes - prevBytes) * 8) / dtMs;
}

function counters(reply) {
	const c = { links: {}, order: [], states: {}, since: {}, total: null };
	const links = reply && Array.isArray(reply.links) ? reply.links : [];
	for (let i = 0; i < links.length; i++) {
		const l = links[i] || {};
		const name = String(l.name || '?');
		c.order.push(name);
		c.links[name] = { tx: num(l.tx_bytes), rx: num(l.rx_bytes) };
		c.states[name] = String(l.state || 'unknown');
		c.since[name] = l.last_change;
	}
	const t = reply && reply.totals && typeof reply.totals === 'object' ? reply.totals : null;
	if (t)
		c.total = { tx: num(t.tx_bytes), rx: num(t.rx_bytes) };
	return c;
}

function addEvent(h, ev) {
	h.events.unshift(ev);
	if (h.events.length > MAX_EVENTS)
		h.events.length = MAX_EVENTS;
}

/*
 * Record one `status` reply taken at nowMs. Returns the rates of this sample
 * ({links: {name: {up, down}}, total: {up, down}}) or null when there is no
 * previous sample to compare with. toEpochMs converts the daemon's
 * last_change into epoch milliseconds (wanbond.status.toEpochMs).
 */
function push(h, reply, nowMs, toEpochMs) {
	if (!reply || typeof reply !== 'object') {
		/* The daemon went away: the next sample must not be compared with the old counters. */
		h.prev = null;
		return null;
	}
	const cur = counters(reply);

	for (let i = 0; i < cur.order.length; i++) {
		const name = cur.order[i];
		const before = h.states[name];
		const now = cur.states[name];
		if (before != null && before !== now) {
			const at = toEpochMs ? toEpochMs(cur.since[name], nowMs) : null;
			addEvent(h, { t: at != null && at <= nowMs ? at : nowMs, link: name, from: before, to: now });
		}
		h.states[name] = now;
	}

	let rates = null;
	if (h.prev) {
		const dt = nowMs - h.prev.t;
		rates = { links: {}, total: null, order: cur.order };
		for (let i = 0; i < cur.order.length; i++) {
			const name = cur.order[i];
			const p = h.prev.c.links[name];
			const c = cur.links[name];
			rates.links[name] = p ? { up: rate(p.tx, c.tx, dt), down: rate(p.rx, c.rx, dt) } : { up: null, down: null };
		}
		if (cur.total && h.prev.c.total)
			rates.total = { up: rate(h.prev.c.total.tx, cur.total.tx, dt), down: rate(h.prev.c.total.rx, cur.total.rx, dt) };
		h.samples.push({ t: nowMs, rates: rates });
	}
	h.prev = { t: nowMs, c: cur };

	while (h.samples.length && h.samples[0].t < nowMs - h.windowMs)
		h.samples.shift();

	return rates;
}

/* The rates of the newest sample, or null. */
function latest(h) {
	return h.samples.length ? h.samples[h.samples.length - 1].rates : null;
}

/*
 * Graph series for one direction ('up' or 'down'): times, one value array per
 * link (null where unknown), and the bonded total. Links are listed in the
 * order of the newest sample so that colours do not jump.
 */
function series(h, dir) {
	const names = [];
	const seen = {};
	for (let i = h.samples.length - 1; i >= 0; i--) {
		const order = h.samples[i].rates.order || Object.keys(h.samples[i].rates.links);
		for (let j = 0; j < order.length; j++) {
			if (!seen[order[j]]) {
				seen[order[j]] = true;
				names.push(order[j]);
			}
		}
	}
	const latestOrder = h.samples.length ? h.samples[h.samples.length - 1].rates.order || [] : [];
	names.sort((a, b) => {
		const ia = latestOrder.indexOf(a);
		const ib = latestOrder.indexOf(b);
		return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
	});

	const out = { dir: dir, t: [], links: names.map((n) => ({ name: n, values: [] })), total: [] };
	for (let i = 0; i < h.samples.length; i++) {
		const s = h.samples[i];
		out.t.push(s.t);
		for (let k = 0; k < names.length; k++) {
			const r = s.rates.links[names[k]];
			out.links[k].values.push(r ? num(r[dir]) : null);
		}
		out.total.push(s.rates.total ? num(s.rates.total[dir]) : null);
	}
	return out;
}

/*
 * Merge the daemon's own event log (if it has one) with the changes this page
 * saw, newest first, without listing the same change twice.
 */
function mergeEvents(seen, fromDaemon, toEpochMs, nowMs) {
	const out = [];
	const key = (e) => e.link + '|' + e.to + '|' + Math.round(e.t / 5000);
	const have = {};
	const list = Array.isArray(fromDaemon) ? fromDaemon : [];
	for (let i = 0; i < list.length; i++) {
		const e = list[i] || {};
		const t = toEpochMs ? toEpochMs(e.time != null ? e.time : e.t, nowMs) : num(e.t);
		if (t == null)
			continue;
		const ev = { t: t, link: String(e.link || e.name || ''), from: e.from != null ? String(e.from) : '', to: String(e.to || e.state || ''), reason: e.reason ? String(e.reason) : '' };
		have[key(ev)] = true;
		out.push(ev);
	}
	for (let i = 0; i < seen.length; i++) {
		if (!have[key(seen[i])])
			out.push(seen[i]);
	}
	out.sort((a, b) => b.t - a.t);
	return out.slice(0, MAX_EVENTS);
}

return baseclass.extend({
	create: create,
	push: push,
	latest: latest,
	series: series,
	rate: rate,
	mergeEvents: mergeEvents
});
