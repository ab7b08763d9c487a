'use strict';
'require baseclass';

/*
 * Geometry of the live throughput graph: stacked areas, one per link, and a
 * line for the bonded total, over a fixed time window ending "now". Returns
 * SVG point strings and axis ticks; the view only creates the elements.
 */

/* Distinct in light and dark themes and for the common colour blindnesses (Okabe-Ito). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];

function colour(i) {
	return PALETTE[i % PALETTE.length];
}

/* The smallest 1, 2 or 5 x 10^n at or above v, so that the axis labels are round numbers. */
function niceMax(v) {
	if (!(v > 0))
		return 1000;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	const steps = [1, 2, 2.5, 5, 10];
	for (let i = 0; i < steps.length; i++) {
		if (steps[i] * p >= v * (1 - 1e-12))
			return steps[i] * p;
	}
	return 10 * p;
}

function r1(v) {
	return Math.round(v * 10) / 10;
}

/*
 * s: a series from wanbond.history.series(); opts: {width, height, windowMs, nowMs}.
 * Unknown values count as 0 in the stack (a gap would make the areas jump).
 */
function layout(s, opts) {
	const w = opts.width;
	const hgt = opts.height;
	const win = opts.windowMs;
	const now = opts.nowMs;
	const n = s.t.length;

	const x = (t) => r1(Math.max(0, Math.min(w, w - ((now - t) / win) * w)));

	const stacks = [];
	let peak = 0;
	const cum = new Array(n).fill(0);
	for (let k = 0; k < s.links.length; k++) {
		const lower = cum.slice();
		for (let i = 0; i < n; i++)
			cum[i] += s.links[k].values[i] || 0;
		stacks.push({ lower: lower, upper: cum.slice() });
	}
	for (let i = 0; i < n; i++) {
		peak = Math.max(peak, cum[i], s.total[i] || 0);
	}
	const max = niceMax(peak);
	const y = (v) => r1(hgt - (v / max) * hgt);

	const areas = s.links.map((l, k) => {
		const pts = [];
		for (let i = 0; i < n; i++)
			pts.push(x(s.t[i]) + ',' + y(stacks[k].upper[i]));
		for (let i = n - 1; i >= 0; i--)
			pts.push(x(s.t[i]) + ',' + y(stacks[k].lower[i]));
		return { name: l.name, colour: colour(k), points: pts.join(' ') };
	});

	/* The bonded line breaks where the total is unknown instead of dropping to zero. */
	const totalLines = [];
	let cur = [];
	for (let i = 0; i < n; i++) {
		if (s.total[i] == null) {
			if (cur.length)
				totalLines.push(cur.join(' '));
			cur = [];
			continue;
		}
		cur.push(x(s.t[i]) + ',' + y(s.total[i]));
	}
	if (cur.length)
		totalLines.push(cur.join(' '));

	const yTicks = [0.25, 0.5, 0.75, 1].map((f) => ({ y: y(max * f), value: max * f }));
	const xTicks = [];
	for (let m = 1; m * 60000 < win; m++)
		xTicks.push({ x: r1(w - ((m * 60000) / win) * w), minutes: m });

	return { max: max, areas: areas, total: totalLines, yTicks: yTicks, xTicks: xTicks };
}

return baseclass.extend({
	layout: layout,
	niceMax: niceMax,
	colour: colour
});
