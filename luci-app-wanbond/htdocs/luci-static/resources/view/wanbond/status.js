'use strict';
'require view';
'require poll';
'require dom';
'require wanbond.api as api';
'require wanbond.format as format';
'require wanbond.status as model';
'require wanbond.history as history';
'require wanbond.chart as chart';

/*
 * Network > WAN Bonding > Status: the tunnel, one row per link, totals with
 * "% of sum", a live stacked throughput graph and the link events. Polls
 * `wanbond status`; every figure derived from it is computed in the pure
 * modules under resources/wanbond/ (unit-tested).
 */

const POLL_SEC = 2;
const WINDOW_SEC = 300;
const GRAPH_HEIGHT = 220;
const SVG_NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, children) {
	const el = document.createElementNS(SVG_NS, tag);
	for (const k in attrs)
		el.setAttribute(k, attrs[k]);
	(children || []).forEach((c) => {
		el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
	});
	return el;
}

function badge(cls, text) {
	return E('span', { 'class': 'label', 'style': 'background-color:%s;color:#fff;margin-left:0'.replace('%s', model.colour(cls)) }, [text]);
}

function td(title, content, extra) {
	return E('td', Object.assign({ 'class': 'td', 'data-title': title }, extra || {}), content);
}

function th(text) {
	return E('th', { 'class': 'th' }, [text]);
}

function upDown(up, down, f) {
	return [E('span', { 'title': _('Upload') }, ['\u2191 ' + f(up)]), E('br'), E('span', { 'title': _('Download') }, ['\u2193 ' + f(down)])];
}

return view.extend({
	load: function () {
		return Promise.all([api.status(), api.events(), api.policies()]);
	},

	render: function (data) {
		this.hist = history.create(WINDOW_SEC);
		this.dir = 'down';
		this.daemonEvents = null;
		this.busy = false;

		this.healthNode = E('div', { 'id': 'wanbond-health' });
		this.tunnelNode = E('div', { 'id': 'wanbond-tunnel' });
		this.linksNode = E('div', { 'id': 'wanbond-links' });
		this.graphNode = E('div', { 'id': 'wanbond-graph', 'style': 'width:100%;height:' + GRAPH_HEIGHT + 'px;position:relative' });
		this.legendNode = E('div', { 'id': 'wanbond-legend', 'style': 'display:flex;flex-wrap:wrap;gap:.3em 1em;margin:.5em 0' });
		this.eventsNode = E('div', { 'id': 'wanbond-events' });
		this.policiesNode = E('div', { 'id': 'wanbond-policies' });

		const dirButton = (dir, text) =>
			E('button', {
				'class': 'cbi-button' + (dir === this.dir ? ' cbi-button-action' : ''),
				'data-dir': dir,
				'click': (ev) => {
					this.dir = dir;
					ev.currentTarget.parentNode.querySelectorAll('button').forEach((b) => {
						b.classList.toggle('cbi-button-action', b.getAttribute('data-dir') === dir);
					});
					this.drawGraph(Date.now());
				}
			}, [text]);

		const root = E('div', { 'class': 'cbi-map', 'id': 'wanbond-status' }, [
			E('h2', [_('WAN Bonding')]),
			E('div', { 'class': 'cbi-map-descr' }, [_('Live state of the bonded tunnel and of each WAN link. The page refreshes every few seconds.')]),
			this.healthNode,
			E('div', { 'class': 'cbi-section' }, [E('h3', [_('Tunnel')]), this.tunnelNode]),
			E('div', { 'class': 'cbi-section' }, [E('h3', [_('Links')]), this.linksNode]),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', [_('Throughput')]),
				E('div', { 'class': 'cbi-section-descr' }, [format.fmt(_('Per link, stacked, with the bonded total as a line, over the last %d minutes.'), WINDOW_SEC / 60)]),
				E('div', { 'style': 'margin-bottom:.5em' }, [dirButton('down', _('Download')), ' ', dirButton('up', _('Upload'))]),
				this.graphNode,
				this.legendNode
			]),
			E('div', { 'class': 'cbi-section' }, [E('h3', [_('Link events')]), this.eventsNode]),
			E('div', { 'class': 'cbi-section' }, [E('h3', [_('Policies')]), this.policiesNode])
		]);

		this.update(data[0], data[1], Date.now());
		this.renderPolicies(data[2], data[0]);
		poll.add(L.bind(this.refresh, this), POLL_SEC);
		return root;
	},

	refresh: function () {
		/* A slow daemon must not pile up calls. */
		if (this.busy)
			return Promise.resolve();
		this.busy = true;
		const seen = this.hist.events.length;
		return api.status().then((reply) => {
			this.update(reply, undefined, Date.now());
			/* A change was just seen: the daemon's log has its reason. */
			if (this.hist.events.length !== seen)
				return api.events().then((ev) => this.renderEvents(ev, Date.now()));
		}).finally(() => {
			this.busy = false;
		});
	},

	/* events: the `events` reply, or undefined to keep the last one. */
	update: function (reply, events, now) {
		const rates = history.push(this.hist, model.health(reply).kind === 'ok' ? reply : null, now, model.toEpochMs);
		const m = model.build(reply, now, rates);
		this.renderHealth(m);
		this.renderTunnel(m);
		this.renderLinks(m, now);
		this.healthy = m.health.kind === 'ok';
		this.drawGraph(now);
		this.renderEvents(events, now);
	},

	renderHealth: function (m) {
		const h = m.health;
		if (h.kind !== 'ok') {
			dom.content(this.healthNode, E('div', { 'class': 'alert-message ' + (h.cls === 'warn' ? 'warning' : 'danger') }, [
				E('strong', [h.title]), E('p', [h.text])
			]));
			return;
		}
		if (!m.problems.length) {
			dom.content(this.healthNode, '');
			return;
		}
		const first = m.problems[0];
		dom.content(this.healthNode, E('div', { 'class': 'alert-message ' + (first.cls === 'bad' ? 'danger' : first.cls === 'off' ? 'notice' : 'warning') },
			m.problems.map((p) => E('p', [p.text]))));
	},

	renderTunnel: function (m) {
		if (!m.tunnel) {
			dom.content(this.tunnelNode, E('em', [_('No data')]));
			return;
		}
		const t = m.tunnel;
		const tot = m.totals;
		const rows = [
			[_('State'), badge(t.cls, t.label)],
			[_('Server'), t.server ? (t.port != null ? t.server + ' (' + _('UDP port') + ' ' + t.port + ')' : t.server) : E('em', [_('not configured')])],
			[_('Connected for'), t.uptime != null && t.cls === 'ok' ? format.duration(t.uptime) : '-'],
			[_('Public address'), t.publicAddress ? E('span', { 'title': _('The VPS address your traffic leaves from: what websites see') }, [t.publicAddress]) : '-'],
			[_('Tunnel address'), t.address ? t.address + (t.device ? ' (' + t.device + ')' : '') : '-'],
			[_('Bonded throughput'), upDown(tot.bondUpKbit, tot.bondDownKbit, format.rateKbit)],
			[_('% of sum'), E('span', { 'title': _('Bonded throughput divided by the sum of the estimated capacities of the links that are up') }, upDown(tot.pctUp, tot.pctDown, format.percent))],
			[_('Sum of link capacities'), upDown(tot.capUpKbit, tot.capDownKbit, format.rateKbit)],
			[_('Transferred'), upDown(tot.txBytes, tot.rxBytes, format.bytes)]
		];
		dom.content(this.tunnelNode, E('table', { 'class': 'table' }, rows.map((r) =>
			E('tr', { 'class': 'tr' }, [
				E('td', { 'class': 'td left', 'width': '33%' }, [E('strong', [r[0]])]),
				E('td', { 'class': 'td left' }, Array.isArray(r[1]) ? r[1] : [r[1]])
			]))));
	},

	renderLinks: function (m, now) {
		if (m.health.kind !== 'ok') {
			dom.content(this.linksNode, E('em', [_('No data')]));
			return;
		}
		if (!m.links.length) {
			dom.content(this.linksNode, E('p', [E('em', [_('No links are configured. Add your WAN interfaces on the Links tab.')])]));
			return;
		}
		const head = E('tr', { 'class': 'tr table-titles' }, [
			th(_('Link')), th(_('State')), th(_('RTT')), th(_('Loss')), th(_('Capacity')), th(_('Throughput')), th(_('Share')), th(_('Since'))
		]);
		const rows = m.links.map((l) => {
			const where = [l.interface, l.device, l.source].filter((x) => x).join(' / ');
			return E('tr', { 'class': 'tr' }, [
				td(_('Link'), [E('strong', [l.name]), where ? E('br') : '', where ? E('small', [where]) : '']),
				td(_('State'), [
					badge(l.cls, l.label),
					l.backup ? E('span', { 'class': 'label', 'title': _('Used only when all other links are down') }, [_('backup')]) : '',
					l.error ? E('div', { 'style': 'color:' + model.colour('bad') }, [E('small', [l.error])]) : ''
				]),
				td(_('RTT'), [format.ms(l.rttMs)]),
				td(_('Loss'), [format.percent(l.loss)]),
				td(_('Capacity'), upDown(l.capUpKbit, l.capDownKbit, format.rateKbit)),
				td(_('Throughput'), upDown(l.upKbit, l.downKbit, format.rateKbit)),
				td(_('Share'), [format.percent(l.share)]),
				td(_('Since'), l.since != null ? [format.clock(l.since, now), E('br'), E('small', [format.ago(l.since, now)])] : ['-'])
			]);
		});
		dom.content(this.linksNode, E('table', { 'class': 'table' }, [head].concat(rows)));
	},

	drawGraph: function (now) {
		const s = history.series(this.hist, this.dir);
		const width = Math.max(200, this.graphNode.offsetWidth || 600);
		const height = GRAPH_HEIGHT;
		if (s.t.length < 2) {
			dom.content(this.graphNode, E('p', { 'style': 'padding-top:4em;text-align:center' }, [
				this.healthy ? E('em', { 'class': 'spinning' }, [_('Collecting data...')]) : E('em', [_('No data')])
			]));
			dom.content(this.legendNode, '');
			return;
		}
		const g = chart.layout(s, { width: width, height: height, windowMs: WINDOW_SEC * 1000, nowMs: now });
		const el = svg('svg', { 'width': width, 'height': height, 'viewBox': '0 0 ' + width + ' ' + height, 'role': 'img', 'aria-label': _('Throughput graph') }, []);
		el.appendChild(svg('rect', { 'x': 0, 'y': 0, 'width': width, 'height': height, 'fill': 'none', 'stroke': 'currentColor', 'stroke-opacity': '0.3' }));
		g.xTicks.forEach((t) => {
			el.appendChild(svg('line', { 'x1': t.x, 'y1': 0, 'x2': t.x, 'y2': height, 'stroke': 'currentColor', 'stroke-opacity': '0.15' }));
			el.appendChild(svg('text', { 'x': t.x + 3, 'y': height - 4, 'font-size': '10', 'fill': 'currentColor', 'fill-opacity': '0.6' }, ['-' + t.minutes + 'm']));
		});
		g.areas.forEach((a) => {
			el.appendChild(svg('polygon', { 'points': a.points, 'fill': a.colour, 'fill-opacity': '0.55', 'stroke': a.colour, 'stroke-width': '1' }, [svg('title', {}, [a.name])]));
		});
		g.total.forEach((pts) => {
			el.appendChild(svg('polyline', { 'points': pts, 'fill': 'none', 'stroke': 'currentColor', 'stroke-width': '2' }));
		});
		g.yTicks.forEach((t) => {
			el.appendChild(svg('line', { 'x1': 0, 'y1': t.y, 'x2': width, 'y2': t.y, 'stroke': 'currentColor', 'stroke-opacity': '0.15', 'stroke-dasharray': '4 4' }));
			el.appendChild(svg('text', { 'x': 4, 'y': t.y + 12, 'font-size': '10', 'fill': 'currentColor', 'fill-opacity': '0.7' }, [format.rateKbit(t.value)]));
		});
		dom.content(this.graphNode, el);

		const last = (vals) => {
			for (let i = vals.length - 1; i >= 0; i--)
				if (vals[i] != null)
					return vals[i];
			return null;
		};
		const swatch = (style) => E('span', { 'style': 'display:inline-block;width:1em;height:.8em;margin-right:.3em;vertical-align:middle;' + style });
		dom.content(this.legendNode, g.areas.map((a, k) =>
			E('span', {}, [swatch('background:' + a.colour), a.name + ' ' + format.rateKbit(last(s.links[k].values))])
		).concat([E('span', {}, [swatch('border-top:2px solid currentColor;height:0'), _('Bonded') + ' ' + format.rateKbit(last(s.total))])]));
	},

	/* events: the `events` reply (undefined = keep the last one; a ubus error = the daemon keeps no log). */
	renderEvents: function (events, now) {
		if (events !== undefined)
			this.daemonEvents = events && typeof events === 'object' && Array.isArray(events.events) ? events.events : [];
		const list = history.mergeEvents(this.hist.events, this.daemonEvents || [], model.toEpochMs, now);
		if (!list.length) {
			dom.content(this.eventsNode, E('p', [E('em', [_('No link has changed state since the page was opened.')])]));
			return;
		}
		dom.content(this.eventsNode, E('table', { 'class': 'table' }, [
			E('tr', { 'class': 'tr table-titles' }, [th(_('Time')), th(_('Link')), th(_('Change')), th(_('Reason'))])
		].concat(list.map((e) => E('tr', { 'class': 'tr' }, [
			td(_('Time'), [format.clock(e.t, now), E('br'), E('small', [format.ago(e.t, now)])]),
			td(_('Link'), [e.link]),
			td(_('Change'), [e.from ? model.stateLabel(e.from) + ' \u2192 ' : '', badge(model.stateClass(e.to), model.stateLabel(e.to))]),
			td(_('Reason'), [e.reason || '-'])
		])))));
	},

	/* Which traffic classes exist and how they use the links; unmatched traffic uses the default mode. */
	renderPolicies: function (reply, status) {
		const list = api.ok(reply) && Array.isArray(reply.policies) ? reply.policies : [];
		const mode = api.ok(status) && status.mode ? String(status.mode) : 'bond';
		const dflt = E('p', [format.fmt(_('Traffic that no rule matches uses the default mode: %s.'), mode)]);
		if (!list.length) {
			dom.content(this.policiesNode, [dflt, E('p', [E('em', [_('No policies are configured. Add them on the Policies & Rules tab to give some traffic its own mode.')])])]);
			return;
		}
		dom.content(this.policiesNode, [dflt, E('table', { 'class': 'table' }, [
			E('tr', { 'class': 'tr table-titles' }, [th(_('Policy')), th(_('Mode')), th(_('Links'))])
		].concat(list.map((p) => E('tr', { 'class': 'tr' }, [
			td(_('Policy'), [String(p.name || '')]),
			td(_('Mode'), [String(p.mode || '')]),
			td(_('Links'), [Array.isArray(p.use_links) && p.use_links.length ? p.use_links.join(', ') : _('all links')])
		]))))]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
