'use strict';
'require baseclass';
'require wanbond.format as format';

/*
 * The Diagnostics tab's speed test: turns `speedtest_result` replies into a
 * progress figure and result rows, and puts the bonded result next to the sum
 * of the single links, which is the comparison admins make by hand today.
 */

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

function row(r) {
	const bonded = isBonded(r);
	return {
		bonded: bonded,
		link: bonded ? '' : String(r.link),
		label: bonded ? _('Bonded (all links)') : String(r.link),
		downKbit: num(r.down_kbit),
		upKbit: num(r.up_kbit),
		rttMs: num(r.rtt_ms),
		loss: ratio(r.loss),
		error: r.error ? String(r.error) : '',
		pctDown: null,
		pctUp: null
	};
}

function phaseLabel(job) {
	const phase = String(job.phase || '');
	const target = job.link != null && job.link !== '' && job.link !== 'bond' ? String(job.link) : _('bonded tunnel');
	if (phase === 'down' || phase === 'download')
		return format.fmt(_('Measuring download on %s'), target);
	if (phase === 'up' || phase === 'upload')
		return format.fmt(_('Measuring upload on %s'), target);
	if (phase === 'latency' || phase === 'rtt')
		return format.fmt(_('Measuring latency on %s'), target);
	if (job.link != null)
		return format.fmt(_('Testing %s'), target);
	return _('Starting');
}

/*
 * reply: the `speedtest_result` reply, or a bare ubus error code.
 * Returns {state: 'idle'|'running'|'done'|'failed'|'error', progress (0..1 or null), phase, rows, error, finished}.
 */
function build(reply) {
	if (typeof reply === 'number' || reply instanceof Error)
		return { state: 'error', progress: null, phase: '', rows: [], error: typeof reply === 'number' ? format.fmt(_('ubus error code %d'), reply) : String(reply.message).split('\n')[0], finished: null };
	if (!reply || typeof reply !== 'object' || (reply.job == null && reply.state == null))
		return { state: 'idle', progress: null, phase: '', rows: [], error: '', finished: null };

	let state = String(reply.state || 'running');
	if (state === 'queued' || state === 'starting')
		state = 'running';
	if (state === 'ok' || state === 'finished' || state === 'complete')
		state = 'done';
	if (state === 'error')
		state = 'failed';

	const rows = (Array.isArray(reply.results) ? reply.results : []).map((r) => row(r || {}));
	const singles = rows.filter((r) => !r.bonded && !r.error);
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
	/* Singles first, the bonded result last, as admins run them. */
	rows.sort((a, b) => (a.bonded === b.bonded ? 0 : a.bonded ? 1 : -1));

	let progress = num(reply.progress);
	if (progress != null && progress > 1)
		progress /= 100;
	if (state === 'done')
		progress = 1;

	return {
		state: state,
		progress: progress,
		phase: state === 'running' ? phaseLabel(reply) : '',
		rows: rows,
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
	isBonded: isBonded
});
