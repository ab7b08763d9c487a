'use strict';
'require view';
'require form';
'require uci';
'require ui';
'require dom';
'require network';
'require tools.widgets as widgets';
'require wanbond.api as api';
'require wanbond.apply as apply';
'require wanbond.status as model';
'require wanbond.validate as validate';

/*
 * Network > WAN Bonding > Links: one `config link NAME` per WAN (a netifd
 * interface, or a device + source address), with the backup flag and
 * optional capacity caps. "Add modem on this port (MacVLAN)" asks the daemon's
 * MacVLAN helper (`wanbond macvlan_add`, the code behind `wanbond macvlan add`)
 * to create a MacVLAN device, a DHCP interface in the wan zone and the link.
 */

/* The value being edited if that option is on screen (modal), else the stored one (grid row). */
function current(section, sid, option) {
	const v = section.formvalue(sid, option);
	return v != null ? v : uci.get('wanbond', sid, option);
}

function stateBadge(row) {
	if (!row)
		return E('em', ['-']);
	return E('span', { 'class': 'label', 'style': 'margin-left:0;color:#fff;background-color:' + model.colour(row.cls) }, [row.label]);
}

/* Physical ports a modem can hang off: plain Ethernet devices, not bridges or their (LAN) ports, tunnels, Wi-Fi or our own MacVLANs. */
function parentPorts(devices) {
	return (devices || []).filter((d) => {
		const name = d.getName();
		const inBridge = typeof d.isBridgePort === 'function' && d.isBridgePort();
		return d.getType() === 'ethernet' && !inBridge && name && name !== 'lo' && !/^(wb|vwan|macvlan)/.test(name);
	}).map((d) => ({ name: d.getName(), mac: d.getMAC ? d.getMAC() : null }));
}

/* Names already in use, so the dialog can refuse a clash in words (over ubus the daemon can only say "invalid argument"). */
function takenNames(devices) {
	return {
		interfaces: uci.sections('network', 'interface').map((s) => s['.name']),
		devices: (devices || []).map((d) => d.getName()).concat(uci.sections('network', 'device').map((s) => s.name).filter((n) => n)),
		links: uci.sections('wanbond', 'link').map((s) => s['.name'])
	};
}

/* ubus UBUS_STATUS_INVALID_ARGUMENT: the helper refused the request. */
const INVALID_ARGUMENT = 2;

function helperFailed(r) {
	return _('The MacVLAN helper failed:') + ' ' + (r === INVALID_ARGUMENT ? _('the router refused the request (invalid argument); "wanbond macvlan" on the router\'s shell tells why') : model.reason(r));
}

function macvlanDialog(ports, taken) {
	const parent = ports.length
		? E('select', { 'class': 'cbi-input-select' }, ports.map((p) => E('option', { 'value': p.name }, [p.name + (p.mac ? ' (' + p.mac + ')' : '')])))
		: E('input', { 'class': 'cbi-input-text', 'placeholder': 'eth1' });
	const name = E('input', { 'class': 'cbi-input-text', 'placeholder': _('automatic, e.g. wan2') });
	const addLink = E('input', { 'type': 'checkbox', 'checked': 'checked' });
	const out = E('div');

	const field = (label, input, help) => E('div', { 'class': 'cbi-value' }, [
		E('label', { 'class': 'cbi-value-title' }, [label]),
		E('div', { 'class': 'cbi-value-field' }, [input, help ? E('div', { 'class': 'cbi-value-description' }, [help]) : ''])
	]);

	ui.showModal(_('Add modem on this port (MacVLAN)'), [
		E('p', [_('Several modems can share one Ethernet port through a switch: each gets its own virtual device with its own MAC address, and so its own DHCP lease. The helper creates the device, a DHCP interface in the wan firewall zone and, if ticked, a bonding link for it.')]),
		field(_('Ethernet port'), parent, _('The port the switch with the modems is plugged into.')),
		field(_('Interface name'), name, _('Leave empty to let the helper choose the next free wanN name.')),
		field(_('Bond it'), E('label', [addLink, ' ', _('Also add it as a link on this page')])),
		out,
		E('div', { 'class': 'right' }, [
			E('button', { 'class': 'btn', 'click': ui.hideModal }, [_('Cancel')]),
			' ',
			E('button', {
				'class': 'btn cbi-button-action important',
				'click': ui.createHandlerFn(null, () => {
					const p = parent.value.trim();
					const n = name.value.trim();
					const bad = validate.macvlan({ parent: p, name: n, addLink: addLink.checked }, taken);
					if (bad !== true) {
						dom.content(out, E('p', { 'class': 'alert-message warning' }, [bad]));
						return;
					}
					return api.macvlanAdd(p, n || undefined, undefined, addLink.checked).then((r) => {
						if (!api.ok(r)) {
							dom.content(out, E('p', { 'class': 'alert-message danger' }, [helperFailed(r)]));
							return;
						}
						ui.showModal(_('Modem port added'), [
							E('p', [_('Device') + ': ' + (r.device || '?') + (r.macaddr ? ' (' + r.macaddr + ')' : '') + ', ' + _('interface') + ': ' + (r.interface || '?') + (r.link ? ', ' + _('link') + ': ' + r.link : '')]),
							E('p', [_('Plug the modem into the switch. The interface asks for an address by DHCP; its link comes up on the Status tab once it has one.')]),
							E('div', { 'class': 'right' }, [E('button', { 'class': 'btn cbi-button-action', 'click': () => location.reload() }, [_('Reload page')])])
						]);
					});
				})
			}, [_('Create')])
		])
	]);
}

return view.extend({
	load: function () {
		return Promise.all([
			uci.load('wanbond'),
			api.status(),
			L.resolveDefault(network.getDevices(), []),
			api.macvlanList(),
			L.resolveDefault(uci.load('network'))
		]);
	},

	render: function (data) {
		const status = model.build(data[1], Date.now(), null);
		const byName = {};
		status.links.forEach((l) => {
			byName[l.name] = l;
		});
		const ports = parentPorts(data[2]);
		const macvlans = api.ok(data[3]) && Array.isArray(data[3].macvlans) ? data[3].macvlans : [];
		/* A login with read-only access to this page (rpcd ACL) cannot call the helper: its buttons are off. */
		const readonly = !L.hasViewPermission();

		const m = new form.Map('wanbond', _('WAN Bonding - Links'),
			_('Each link is one WAN the tunnel runs over. Use the network interface of each modem or line; a backup link carries traffic only when all other links are down (for a metered SIM).'));

		const s = m.section(form.GridSection, 'link', _('Links'));
		s.addremove = true;
		s.anonymous = false;
		s.nodescriptions = true;
		s.addbtntitle = _('Add link');
		s.modaltitle = (sid) => _('Link') + ' ' + sid;
		s.handleAdd = function (ev, name) {
			const r = validate.sectionName(name);
			if (r !== true) {
				ui.addNotification(null, E('p', [r]), 'warning');
				return;
			}
			return form.GridSection.prototype.handleAdd.apply(this, [ev, name]);
		};

		let o = s.option(form.DummyValue, '_state', _('State'));
		o.modalonly = false;
		/* The grid shows textvalue(), which escapes strings: hand it a node instead. */
		o.textvalue = (sid) => stateBadge(byName[sid]);
		o.cfgvalue = (sid) => (byName[sid] ? byName[sid].label : '-');

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = o.enabled;
		o.rmempty = false;
		o.editable = true;

		o = s.option(widgets.NetworkSelect, 'interface', _('Interface'), _('The netifd interface of this WAN (Network > Interfaces).'));
		o.nocreate = true;
		o.optional = true;
		o.filter = (sid, name) => name !== 'loopback' && name !== 'lan';
		/* A link set by device + source has no interface: the grid shows those instead of "unspecified". */
		const interfaceText = o.textvalue;
		o.textvalue = function (sid) {
			if (this.cfgvalue(sid))
				return interfaceText.apply(this, [sid]);
			const dev = uci.get('wanbond', sid, 'device');
			const src = uci.get('wanbond', sid, 'source');
			return dev ? '%h'.format(_('Device') + ': ' + dev + (src ? ' / ' + src : '')) : null;
		};
		o.validate = function (sid, v) {
			return validate.link({ interface: v, device: current(this.section, sid, 'device'), source: current(this.section, sid, 'source') });
		};

		o = s.option(form.Value, 'device', _('Device'), _('Only without an interface: the Linux device of this WAN.'));
		o.modalonly = true;
		o.depends('interface', '');
		o.validate = (sid, v) => (v === '' ? true : validate.ifname(v));

		o = s.option(form.Value, 'source', _('Source address'), _('Only without an interface: this router\'s address on that WAN; the link\'s UDP socket is bound to it.'));
		o.modalonly = true;
		o.depends('interface', '');
		o.validate = (sid, v) => (v === '' ? true : validate.family(v) ? true : _('Expecting an IPv4 or IPv6 address'));

		o = s.option(form.Flag, 'backup', _('Backup'), _('Use this link only when all non-backup links are down.'));
		o.editable = true;

		o = s.option(form.Value, 'max_up_kbit', _('Upload cap'), _('kbit/s. Never send faster than this on this link (leave empty to follow the estimate).'));
		o.datatype = 'uinteger';
		o.placeholder = _('auto');
		o.modalonly = true;

		o = s.option(form.Value, 'max_down_kbit', _('Download cap'), _('kbit/s. Ask the server never to send faster than this on this link.'));
		o.datatype = 'uinteger';
		o.placeholder = _('auto');
		o.modalonly = true;

		const macvlanSection = E('div', { 'class': 'cbi-section' }, [
			E('h3', [_('Modems on one port')]),
			E('div', { 'class': 'cbi-section-descr' }, [_('Plug a switch into one Ethernet port and the modems into the switch, then add one MacVLAN per modem.')]),
			macvlans.length ? E('table', { 'class': 'table' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, [_('Device')]), E('th', { 'class': 'th' }, [_('Port')]),
					E('th', { 'class': 'th' }, [_('Interface')]), E('th', { 'class': 'th' }, [_('MAC address')]), E('th', { 'class': 'th' }, [''])
				])
			].concat(macvlans.map((v) => E('tr', { 'class': 'tr' }, [
				E('td', { 'class': 'td', 'data-title': _('Device') }, [String(v.name || '')]),
				E('td', { 'class': 'td', 'data-title': _('Port') }, [String(v.parent || '')]),
				E('td', { 'class': 'td', 'data-title': _('Interface') }, [String(v.interface || '')]),
				E('td', { 'class': 'td', 'data-title': _('MAC address') }, [String(v.macaddr || '')]),
				E('td', { 'class': 'td cbi-section-actions' }, [E('button', {
					'class': 'cbi-button cbi-button-remove',
					'disabled': readonly || null,
					'click': ui.createHandlerFn(null, () => api.macvlanDel(String(v.name)).then((r) => {
						if (!api.ok(r))
							ui.addNotification(null, E('p', [helperFailed(r)]), 'danger');
						else
							location.reload();
					}))
				}, [_('Delete')])])
			])))) : '',
			E('button', {
				'class': 'cbi-button cbi-button-add',
				'disabled': readonly || null,
				'click': () => macvlanDialog(ports, takenNames(data[2]))
			}, [_('Add modem on this port (MacVLAN)')])
		]);

		return m.render().then((node) => E('div', {}, [node, macvlanSection]));
	},

	handleSaveApply: function (ev, mode) {
		return apply.saveApply(this, ev, mode);
	}
});
