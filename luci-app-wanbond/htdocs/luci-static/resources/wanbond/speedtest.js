'use strict';
'require baseclass';
'require wanbond.format as format';

/*
 * The Diagnostics tab's speed test: turns `speedtest_result` replies into a
 * progress text and result rows. A run without a link measures each link
 * alone (download, then upload, the session pinned to that link), then the
 * bonded tunnel; the bonded result is set against the sum of the single
 * links, which is the comparison admins make by hand today.
 *
 * Reply: { job, state, progress, phase: latency|download|upload, link (the
 * link being measured now; "bond" or "" for the tunnel), results: [{ link,
 * down_kbit, up_kbit, rtt_ms, loss, error }], error, started, finished }.
 */

/* Row key of the bonded test. */
const BOND = 'bond';

function num(v) {
	return typeof v === 'number' && isFinite(v) ? v : null;
}

function ratio(v) {
	v = num(v);
	if (v == null)
		return null;
	return v > 1 ? v / 100 : v;
}

/* A result entry without a link (or link "bond"/"bonded"/"") is the test through the tunnel. */
function isBonded(r) {
	const l = r.link == null ? '' : String(r.link);
	return l === '' || l === 'bond' || l === 'bonded' || l === '*';
}

function keyOf(link) {
	return isBonded({ link: link }) ? BOND : String(link);
}

function row(r) {
	const bonded = isBonded(r);
	return {
		key: bonded ? BOND : String(r.link),
		bonded: bonded,
		link: bonded ? '' : String(r.link),
		label: bonded ? _('Bonded (all links)') : String(r.link),
		downKbit: num(r.down_kbit),
		upKbit: num(r.up_kbit),
		rttMs: num(r.rtt_ms),
		loss: ratio(r.loss),
		error: r.error ? String(r.error) : '',
		pctDown: null,
		pctUp: null,
		/* While running: 'measuring' (this one now), 'waiting' (later in this run), or '' (measured). */
		pending: '',
		/* The same for each direction of the row: what to show instead of a figure not measured yet. */
		downPending: '',
		upPending: ''
	};
}

function phaseName(phase) {
	phase = String(phase || '');
	if (phase === 'down' || phase === 'download')
		return 'download';
	if (phase === 'up' || phase === 'upload')
		return 'upload';
	if (phase === 'latency' || phase === 'rtt')
		return 'latency';
	return '';
}

/* "Testing wan2: download…": which link is being measured now, and how. */
function phaseLabel(job) {
	const phase = phaseName(job.phase);
	const hasLink = job.link != null && String(job.link) !== '';
	if (!phase && !hasLink)
		return _('Starting');
	const who = keyOf(job.link) === BOND ? _('bonded tunnel') : String(job.link);
	if (phase === 'download')
		return format.fmt(_('Testing %s: download…'), who);
	if (phase === 'upload')
		return format.fmt(_('Testing %s: upload…'), who);
	if (phase === 'latency')
		return format.fmt(_('Testing %s: latency…'), who);
	return format.fmt(_('Testing %s…'), who);
}

/*
 * What a run measures, in order: link undefined or '' = each of `links`
 * alone, then bonded; "bond" = bonded only; a link name = that link alone.
 */
function plan(links, link) {
	if (link == null || link === '')
		return (links || []).map(String).concat([BOND]);
	return [keyOf(link)];
}

function sortRows(rows, order) {
	const at = (r) => {
		const i = order.indexOf(r.key);
		return i < 0 ? order.length + (r.bonded ? 1 : 0) : i;
	};
	/* Singles first, the bonded result last, as admins run them; within that, the run's order. */
	return rows.map((r, i) => [r, i]).sort((a, b) => {
		if (a[0].bonded !== b[0].bonded)
			return a[0].bonded ? 1 : -1;
		return at(a[0]) - at(b[0]) || a[1] - b[1];
	}).map((x) => x[0]);
}

/*
 * reply: the `speedtest_result` reply, or a bare ubus error code.
 * order: the run's plan() when the page knows it (it started the run), so
 * links still to be measured show as waiting rows; else only measured rows
 * and the one being measured.
 * Returns {state: 'idle'|'running'|'done'|'failed'|'error', progress (0..1 or null), phase, current, rows, error, finished}.
 */
function build(reply, order) {
	if (typeof reply === 'number' || reply instanceof Error)
		return { state: 'error', progress: null, phase: '', current: '', rows: [], error: typeof reply === 'number' ? format.fmt(_('ubus error code %d'), reply) : String(reply.message).split('\n')[0], finished: null };
	if (!reply || typeof reply !== 'object' || (reply.job == null && reply.state == null))
		return { state: 'idle', progress: null, phase: '', current: '', rows: [], error: '', finished: null };

	let state = String(reply.state || 'running');
	if (state === 'queued' || state === 'starting')
		state = 'running';
	if (state === 'ok' || state === 'finished' || state === 'complete')
		state = 'done';
	if (state === 'error')
		state = 'failed';

	const rows = (Array.isArray(reply.results) ? reply.results : []).map((r) => row(r || {}));
	const current = state === 'running' && (phaseName(reply.phase) || (reply.link != null && reply.link !== '')) ? keyOf(reply.link) : '';
	order = Array.isArray(order) ? order : [];

	if (state === 'running') {
		const seen = {};
		rows.forEach((r) => {
			seen[r.key] = r;
		});
		if (current) {
			if (!seen[current]) {
				seen[current] = row({ link: current });
				rows.push(seen[current]);
			}
			const c = seen[current];
			const phase = phaseName(reply.phase);
			c.pending = 'measuring';
			/* Download comes before upload: a figure not there yet is being measured now or next. */
			c.downPending = c.downKbit != null ? '' : phase === 'download' ? 'measuring' : phase === 'upload' ? '' : 'waiting';
			c.upPending = c.upKbit != null ? '' : phase === 'upload' ? 'measuring' : 'waiting';
		}
		/* Plan entries after the one measured now have not started; before it, the daemon skipped them. */
		const from = current ? order.indexOf(current) + 1 : 0;
		order.slice(from).forEach((k) => {
			if (!seen[k]) {
				const w = row({ link: k });
				w.pending = 'waiting';
				w.downPending = 'waiting';
				w.upPending = 'waiting';
				seen[k] = w;
				rows.push(w);
			}
		});
	}

	const singles = rows.filter((r) => !r.bonded && !r.error && !r.pending);
	let sumDown = null;
	let sumUp = null;
	for (let i = 0; i < singles.length; i++) {
		if (singles[i].downKbit != null)
			sumDown = (sumDown || 0) + singles[i].downKbit;
		if (singles[i].upKbit != null)
			sumUp = (sumUp || 0) + singles[i].upKbit;
	}
	for (let i = 0; i < rows.length; i++) {
		if (!rows[i].bonded)
			continue;
		rows[i].pctDown = sumDown && rows[i].downKbit != null ? rows[i].downKbit / sumDown : null;
		rows[i].pctUp = sumUp && rows[i].upKbit != null ? rows[i].upKbit / sumUp : null;
	}

	let progress = num(reply.progress);
	if (progress != null && progress > 1)
		progress /= 100;
	if (state === 'done')
		progress = 1;

	return {
		state: state,
		progress: progress,
		phase: state === 'running' ? phaseLabel(reply) : '',
		current: current,
		rows: sortRows(rows, order),
		error: reply.error ? String(reply.error) : '',
		finished: num(reply.finished),
		job: reply.job != null ? String(reply.job) : ''
	};
}

/* ubus UBUS_STATUS_NOT_FOUND: the daemon has no such job. */
const NOT_FOUND = 4;

/*
 * The reply to the page's first `speedtest_result` (no job: the newest one).
 * A running daemon answers NOT_FOUND when no test has run since it started:
 * that is "no results yet", not a failure (a stopped daemon is an RPC error).
 */
function last(reply) {
	return build(reply === NOT_FOUND ? null : reply);
}

return baseclass.extend({
	build: build,
	last: last,
	plan: plan,
	isBonded: isBonded
});
