'use strict';
'require view';
'require form';
'require uci';
'require ui';
'require dom';
'require wanbond.api as api';
'require wanbond.apply as apply';
'require wanbond.keys as keys';
'require wanbond.status as model';
'require wanbond.validate as validate';

/*
 * Network > WAN Bonding > Server: `config wanbond 'main'` (server address,
 * port, keys, tunnel address, default mode). The private key is write-only:
 * the form shows the router's PUBLIC key and never puts the private one in
 * the page. "Pairing line" hands the line to the daemon's `join` parser (the
 * code behind `wanbond join`) and stages what it returns as UCI changes.
 */

/* Options a pairing line may set, in the order the daemon's `join` reply names them. */
const PAIRING_OPTIONS = ['server', 'port', 'server_key', 'private_key', 'address', 'address6', 'mtu', 'mode'];

function applyPairing(map, reply) {
	let n = 0;
	PAIRING_OPTIONS.forEach((k) => {
		if (reply[k] != null && reply[k] !== '') {
			uci.set('wanbond', 'main', k, String(reply[k]));
			n++;
		}
	});
	if (!n)
		throw new Error(_('The pairing line did not contain any setting.'));
	uci.set('wanbond', 'main', 'enabled', '1');
	return stage(map);
}

/*
 * Send uci.set() changes to rpcd as staged changes and redraw the form from
 * them. Not map.save(): that would first validate the half-filled form and
 * refuse, which is exactly the state a fresh router is in before pairing.
 */
function stage(map) {
	return uci.save().then(() => map.load()).then(() => map.reset());
}

/* Why a `join` call failed; a bare ubus code from a running daemon means it refused the line. */
function failure(reply, invalid) {
	if (invalid && typeof reply === 'number' && reply !== 4)
		return _('the line is not a valid pairing line') + ' (' + reply + ')';
	return model.reason(reply);
}

function pairingDialog(map) {
	const text = E('textarea', {
		'class': 'cbi-input-textarea',
		'style': 'width:100%;font-family:monospace',
		'rows': 4,
		'spellcheck': 'false',
		'placeholder': 'wanbond://...'
	});
	const err = E('div');
	ui.showModal(_('Paste pairing line'), [
		E('p', [_('On the VPS, run "wanbond pair NAME" and paste the line it prints. The server address, port, keys and tunnel address are filled in; press Save & Apply afterwards to connect.')]),
		text,
		err,
		E('div', { 'class': 'right' }, [
			E('button', { 'class': 'btn', 'click': ui.hideModal }, [_('Cancel')]),
			' ',
			E('button', {
				'class': 'btn cbi-button-action important',
				'click': ui.createHandlerFn(null, () => {
					const line = text.value.trim();
					if (!line) {
						dom.content(err, E('p', { 'class': 'alert-message warning' }, [_('Paste the line first.')]));
						return;
					}
					return api.join(line, false).then((reply) => {
						if (!api.ok(reply)) {
							dom.content(err, E('p', { 'class': 'alert-message danger' }, [_('Could not read the pairing line:') + ' ' + failure(reply, true)]));
							return;
						}
						/* A line that carries the router's private key is written by the daemon itself: the key never
						 * travels back to the browser, so it cannot be staged here. */
						if (reply.has_private_key)
							return api.join(line, true).then((applied) => {
								if (!api.ok(applied)) {
									dom.content(err, E('p', { 'class': 'alert-message danger' }, [_('Could not apply the pairing line:') + ' ' + failure(applied, false)]));
									return;
								}
								uci.unload('wanbond');
								return uci.load('wanbond').then(() => map.load()).then(() => map.reset()).then(() => {
									ui.hideModal();
									ui.addNotification(null, E('p', [_('Paired: the settings and the key from the line were saved and the daemon reloaded.')]), 'info');
								});
							});
						return applyPairing(map, reply).then(() => {
							ui.hideModal();
							ui.addNotification(null, E('p', [_('Pairing settings staged. Press Save & Apply to connect to the server.')]), 'info');
						});
					}).catch((e) => {
						dom.content(err, E('p', { 'class': 'alert-message danger' }, [e.message]));
					});
				})
			}, [_('Use this line')])
		])
	]);
	text.focus();
}

return view.extend({
	load: function () {
		return Promise.all([uci.load('wanbond'), api.status()]);
	},

	render: function (data) {
		/* A daemon that keeps its key in a key file reports the public key; otherwise derive it from the UCI key. */
		const daemonPub = api.ok(data[1]) && typeof data[1].public_key === 'string' ? data[1].public_key : null;
		/* A config without the main section (fresh install gone wrong) still gets a usable form. */
		if (!uci.get('wanbond', 'main'))
			uci.add('wanbond', 'wanbond', 'main');

		const m = new form.Map('wanbond', _('WAN Bonding - Server'),
			_('The VPS this router bonds its WAN links to. The easiest way to fill this page is the pairing line printed by "wanbond pair" on the VPS.'));

		const s = m.section(form.NamedSection, 'main', 'wanbond');
		s.addremove = false;
		s.tab('general', _('General Settings'));
		s.tab('security', _('Keys'));
		s.tab('advanced', _('Advanced Settings'));

		let o = s.taboption('general', form.Flag, 'enabled', _('Enable WAN bonding'));
		o.default = o.enabled;
		o.rmempty = false;

		o = s.taboption('general', form.Button, '_pair', _('Pairing line'),
			_('Fills in the server, its key and the tunnel address from the line "wanbond pair" prints on the VPS.'));
		o.inputtitle = _('Paste pairing line...');
		o.inputstyle = 'action';
		o.onclick = () => pairingDialog(m);

		o = s.taboption('general', form.Value, 'server', _('Server address'), _('Host name or public IP address of the VPS.'));
		o.rmempty = false;
		o.validate = (sid, v) => (v === '' ? _('The server address is required') : validate.host(v));

		o = s.taboption('general', form.Value, 'port', _('Server port'), _('UDP port the server listens on.'));
		o.placeholder = '5555';
		o.validate = (sid, v) => (v === '' ? true : validate.port(v));

		o = s.taboption('general', form.Value, 'server_key', _('Server public key'), _('Printed by "wanbond pair" or "wanbond pubkey" on the VPS.'));
		o.rmempty = false;
		o.validate = (sid, v) => (v === '' ? _('The server key is required') : validate.key(v));

		o = s.taboption('general', form.Value, 'address', _('Tunnel address'), _('This router\'s address inside the tunnel, with the prefix of the tunnel subnet (from the pairing line).'));
		o.placeholder = '10.255.0.2/24';
		o.validate = (sid, v) => (v === '' ? true : validate.tunnelAddress(v));

		o = s.taboption('security', form.DummyValue, '_public_key', _('Router public key'),
			_('Give this key to the VPS (it is part of what "wanbond pair" sets up). It is derived from the private key and safe to share.'));
		o.cfgvalue = (sid) => {
			const staged = uci.get('wanbond', sid, 'private_key');
			const pub = staged ? keys.publicKey(staged) : daemonPub;
			return pub || _('No private key yet: generate one or paste a pairing line.');
		};
		o.rawhtml = false;

		o = s.taboption('security', form.Value, 'private_key', _('Private key'),
			_('Write-only: the current key is never shown. Leave empty to keep it; paste a key only to replace it. A pasted key is stored in /etc/config/wanbond, where users of this page can read it; "Generate new key pair" keeps the key in a file only the daemon reads.'));
		o.password = true;
		o.placeholder = _('(unchanged)');
		/* Never hand the secret to the page's inputs; empty means "keep". */
		o.cfgvalue = () => '';
		/* The daemon takes private_key or key_file, not both: a pasted key replaces the file. */
		o.write = (sid, v) => {
			uci.set('wanbond', sid, 'private_key', v.trim());
			uci.unset('wanbond', sid, 'key_file');
		};
		o.remove = () => {};
		o.validate = (sid, v) => (v === '' ? true : validate.key(v));

		o = s.taboption('security', form.Button, '_genkey', _('New key pair'),
			_('The daemon makes a new private key in its key file; only the public key comes back. The tunnel stops working until the VPS knows the new public key.'));
		o.inputtitle = _('Generate new key pair');
		o.inputstyle = 'remove';
		o.onclick = () => {
			ui.showModal(_('Replace the private key?'), [
				E('p', [_('The tunnel will not connect until the VPS has the new public key. Run "wanbond pair" again on the VPS, or update this router\'s public key there.')]),
				E('div', { 'class': 'right' }, [
					E('button', { 'class': 'btn', 'click': ui.hideModal }, [_('Cancel')]),
					' ',
					E('button', {
						'class': 'btn cbi-button-negative important',
						'click': ui.createHandlerFn(null, () => {
							return api.newKey().then((reply) => {
								ui.hideModal();
								if (!api.ok(reply)) {
									ui.addNotification(null, E('p', [_('Could not make a new key:') + ' ' + model.reason(reply)]), 'danger');
									return;
								}
								uci.unload('wanbond');
								return uci.load('wanbond').then(() => m.load()).then(() => m.reset()).then(() => {
									ui.addNotification(null, E('p', [_('New router public key:') + ' ' + reply.public_key]), 'info');
								});
							});
						})
					}, [_('Generate new key pair')])
				])
			]);
		};

		o = s.taboption('advanced', form.ListValue, 'mode', _('Default mode'), _('For traffic that no rule on the Policies tab matches.'));
		o.value('bond', _('bond - add up the links'));
		o.value('redundant', _('redundant - send every packet on two or more links'));
		o.value('failover', _('failover - use the best link, switch when it fails'));
		o.value('direct', _('direct - bypass the tunnel'));
		o.default = 'bond';

		o = s.taboption('advanced', form.ListValue, 'fallback', _('When the tunnel is down'),
			_('What happens to traffic while no server is reachable.'));
		o.value('direct', _('send it directly out of a WAN (no bonding)'));
		o.value('block', _('block it (nothing leaves unencrypted)'));
		o.default = 'direct';

		o = s.taboption('advanced', form.Value, 'address6', _('Tunnel IPv6 address'), _('Optional: this router\'s IPv6 address inside the tunnel, with prefix (from the pairing line).'));
		o.validate = (sid, v) => (v === '' ? true : v.indexOf('/') > 0 && validate.family(v.split('/')[0]) === 'ipv6' ? validate.ipOrCidr(v) : _('Expecting an IPv6 address with a prefix length, like fd00:255::2/64'));

		o = s.taboption('advanced', form.Value, 'tun', _('Tunnel device'));
		o.placeholder = 'wb0';
		o.validate = (sid, v) => (v === '' ? true : validate.ifname(v));

		o = s.taboption('advanced', form.Value, 'mtu', _('Tunnel MTU'), _('Leave empty to let wanbond choose from the links\' path MTU.'));
		o.placeholder = _('automatic');
		o.validate = (sid, v) => (v === '' ? true : validate.mtu(v));

		return m.render();
	},

	handleSaveApply: function (ev, mode) {
		return apply.saveApply(this, ev, mode);
	}
});
