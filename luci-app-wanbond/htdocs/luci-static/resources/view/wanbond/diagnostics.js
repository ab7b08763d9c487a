'use strict';
'require view';
'require poll';
'require dom';
'require ui';
'require uci';
'require wanbond.api as api';
'require wanbond.format as format';
'require wanbond.status as model';
'require wanbond.speedtest as speedtest';

/*
 * Network > WAN Bonding > Diagnostics: the speed test admins run by hand
 * today (each modem alone, then all bonded), started with one click. The
 * daemon runs it (`wanbond speedtest`: each link alone with the session
 * pinned to it, then the bonded tunnel), this page polls `speedtest_result`
 * for the progress ("Testing wan2: download…") and shows the results, the
 * bonded one against the sum of the single links.
 */

const POLL_SEC = 1;

function th(text) {
	return E('th', { 'class': 'th' }, [text]);
}

function td(title, content) {
	return E('td', { 'class': 'td', 'data-title': title }, content);
}

/* A figure, or what stands in for it while the run has not measured it yet. */
function figure(pending, value, text) {
	if (pending === 'measuring')
		return E('em', [_('measuring…')]);
	if (pending === 'waiting')
		return E('em', { 'style': 'opacity:.6' }, [_('waiting')]);
	return value == null ? '-' : text;
}

return view.extend({
	load: function () {
		return Promise.all([uci.load('wanbond'), api.speedtestResult(), api.status()]);
	},

	render: function (data) {
		this.job = null;
		this.order = null;
		this.polling = false;
		/* A login with read-only access to this page (rpcd ACL) sees the results but cannot start a test. */
		this.readonly = !L.hasViewPermission();
		this.progressNode = E('div', { 'id': 'wanbond-st-progress' });
		this.resultNode = E('div', { 'id': 'wanbond-st-results' });

		const links = uci.sections('wanbond', 'link').filter((s) => s.enabled !== '0').map((s) => s['.name']);
		this.links = links;
		const health = model.health(data[2]);

		const button = (text, link, style) =>
			E('button', {
				'class': 'cbi-button ' + (style || 'cbi-button-action'),
				'disabled': this.readonly || null,
				'style': 'margin:0 .5em .5em 0',
				'click': ui.createHandlerFn(this, 'start', link)
			}, [text]);

		this.buttons = E('div', {}, [button(_('Test each link, then bonded'), undefined, 'cbi-button-apply')]
			.concat(links.map((l) => button(format.fmt(_('Only %s'), l), l)))
			.concat([button(_('Only bonded'), 'bond')]));

		const root = E('div', { 'class': 'cbi-map' }, [
			E('h2', [_('WAN Bonding - Diagnostics')]),
			E('div', { 'class': 'cbi-map-descr' }, [_('Measures download, upload and latency to the server on each link alone and through the bonded tunnel. A test saturates the links for a few seconds each; metered links are billed for the data.')]),
			health.kind !== 'ok' ? E('div', { 'class': 'alert-message danger' }, [E('strong', [health.title]), E('p', [health.text])]) : '',
			E('div', { 'class': 'cbi-section' }, [E('h3', [_('Speed test')]), this.buttons, this.progressNode]),
			E('div', { 'class': 'cbi-section' }, [E('h3', [_('Results')]), this.resultNode])
		]);

		/* With the daemon unreachable the health banner above says why; no second error for the same cause. */
		const last = speedtest.last(health.kind === 'ok' ? data[1] : null);
		this.show(last);
		if (last.state === 'running' && last.job)
			this.follow(last.job);
		return root;
	},

	start: function (link) {
		return api.speedtest(link).then((r) => {
			if (!api.ok(r) || r.job == null) {
				const h = model.health(api.ok(r) ? 0 : r);
				ui.addNotification(null, E('p', [_('The speed test did not start:') + ' ' + (h.kind === 'ok' ? _('no job id in the reply') : h.title)]), 'danger');
				return;
			}
			this.order = speedtest.plan(this.links, link);
			this.show(speedtest.build({ job: r.job, state: 'queued', progress: 0 }, this.order));
			this.follow(String(r.job));
		});
	},

	/* One poll function for the page's life: removing the last one would show LuCI's "Paused" indicator. */
	follow: function (job) {
		this.job = job;
		this.setBusy(true);
		if (this.polling)
			return;
		this.polling = true;
		poll.add(() => {
			if (this.job == null)
				return Promise.resolve();
			return api.speedtestResult(this.job).then((r) => {
				const st = speedtest.build(r, this.order);
				this.show(st);
				if (st.state !== 'running') {
					this.job = null;
					this.setBusy(false);
				}
			});
		}, POLL_SEC);
	},

	setBusy: function (busy) {
		this.buttons.querySelectorAll('button').forEach((b) => {
			b.disabled = busy || this.readonly || null;
		});
	},

	show: function (st) {
		if (st.state === 'running') {
			const pct = st.progress != null ? Math.round(st.progress * 100) : 0;
			dom.content(this.progressNode, E('div', { 'class': 'cbi-progressbar', 'title': (st.phase || _('Running')) + ' ' + pct + '%' }, [
				E('div', { 'style': 'width:' + pct + '%' })
			]));
		}
		else if (st.state === 'failed' || st.state === 'error') {
			dom.content(this.progressNode, E('div', { 'class': 'alert-message danger' }, [_('The speed test failed:') + ' ' + (st.error || _('unknown error'))]));
		}
		else {
			dom.content(this.progressNode, '');
		}

		if (!st.rows.length) {
			dom.content(this.resultNode, E('p', [E('em', [st.state === 'running' ? _('Waiting for the first result...') : _('No speed test has been run yet.')])]));
			return;
		}
		const rows = st.rows.map((r) => E('tr', { 'class': 'tr' + (r.bonded ? ' cbi-rowstyle-2' : '') }, [
			td(_('Link'), [r.bonded ? E('strong', [r.label]) : r.label]),
			td(_('Download'), [figure(r.downPending, r.downKbit, format.rateKbit(r.downKbit)), r.pctDown != null ? E('small', [' (' + format.fmt(_('%s of sum'), format.percent(r.pctDown)) + ')']) : '']),
			td(_('Upload'), [figure(r.upPending, r.upKbit, format.rateKbit(r.upKbit)), r.pctUp != null ? E('small', [' (' + format.fmt(_('%s of sum'), format.percent(r.pctUp)) + ')']) : '']),
			td(_('RTT'), [r.pending === 'waiting' ? figure('waiting') : format.ms(r.rttMs)]),
			td(_('Loss'), [r.pending === 'waiting' ? figure('waiting') : format.percent(r.loss)]),
			td(_('Error'), [r.error || '-'])
		]));
		dom.content(this.resultNode, [
			st.finished != null ? E('p', [format.fmt(_('Finished at %s.'), format.clock(model.toEpochMs(st.finished, Date.now()), Date.now()))]) : '',
			E('p', { 'class': 'cbi-section-descr' }, [_('Each link is measured alone, then all links together through the tunnel. "% of sum" is the bonded result divided by the sum of the single links.')]),
			E('table', { 'class': 'table' }, [
				E('tr', { 'class': 'tr table-titles' }, [th(_('Link')), th(_('Download')), th(_('Upload')), th(_('RTT')), th(_('Loss')), th(_('Error'))])
			].concat(rows))
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
