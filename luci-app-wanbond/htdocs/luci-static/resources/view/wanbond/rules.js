'use strict';
'require view';
'require form';
'require uci';
'require ui';
'require wanbond.apply as apply';
'require wanbond.validate as validate';

/*
 * Network > WAN Bonding > Policies & Rules, mwan3-style: a policy is a mode
 * over a set of links; a rule matches traffic (addresses, protocol, ports)
 * and names the policy it uses. Rules are tried top to bottom and the first
 * match wins; unmatched traffic uses the default mode of the Server tab.
 */

/*
 * The value being edited if that option is on screen, else the stored one. An
 * option its depends hide (a port once protocol is back to "all") counts as
 * empty: LuCI removes it on save, and the admin could not see what to fix.
 */
function current(section, sid, option) {
	const opt = section.children.filter((o) => o.option === option)[0];
	if (opt && section.getUIElement(sid, option) && !opt.isActive(sid))
		return '';
	const v = section.formvalue(sid, option);
	return v != null ? v : uci.get('wanbond', sid, option);
}

function names(type) {
	return uci.sections('wanbond', type).map((s) => s['.name']);
}

/* Section names are shared by links, policies and rules in the daemon's messages: keep them unique. */
function addHandler(ev, name) {
	let r = validate.sectionName(name);
	if (r === true && names('link').concat(names('policy'), names('rule')).indexOf(name) >= 0)
		r = _('This name is already used by a link, policy or rule');
	if (r !== true) {
		ui.addNotification(null, E('p', [r]), 'warning');
		return;
	}
	return form.GridSection.prototype.handleAdd.apply(this, [ev, name]);
}

function revalidate(section, sid, option) {
	const el = section.getUIElement(sid, option);
	if (el)
		el.triggerValidation();
}

return view.extend({
	load: function () {
		return uci.load('wanbond');
	},

	render: function () {
		const links = names('link');

		const m = new form.Map('wanbond', _('WAN Bonding - Policies & Rules'),
			_('A policy says how traffic uses the links; a rule says which traffic uses which policy. Rules are tried from top to bottom and the first match wins. Traffic no rule matches uses the default mode of the Server tab.'));

		/* Policies */
		let s = m.section(form.GridSection, 'policy', _('Policies'));
		s.addremove = true;
		s.anonymous = false;
		s.nodescriptions = true;
		s.addbtntitle = _('Add policy');
		s.handleAdd = addHandler;

		let o = s.option(form.ListValue, 'mode', _('Mode'));
		o.value('bond', _('bond - add up the links'));
		o.value('redundant', _('redundant - every packet on two or more links'));
		o.value('failover', _('failover - best link, switch on failure'));
		o.value('direct', _('direct - bypass the tunnel via one link'));
		o.default = 'bond';
		o.rmempty = false;
		o.validate = function (sid, v) {
			return validate.policy({ mode: v, use_link: L.toArray(current(this.section, sid, 'use_link')) }, links);
		};

		o = s.option(form.MultiValue, 'use_link', _('Links'), _('Leave empty to use all links.'));
		links.forEach((l) => {
			o.value(l);
		});
		o.placeholder = _('all links');
		o.optional = true;
		/* The grid would say "none" for an empty list, which means all links. */
		const linksText = o.textvalue;
		o.textvalue = function (sid) {
			return L.toArray(this.cfgvalue(sid)).length ? linksText.apply(this, [sid]) : _('all links');
		};
		o.onchange = function (ev, sid) {
			revalidate(this.section, sid, 'mode');
		};

		/* Rules */
		s = m.section(form.GridSection, 'rule', _('Rules'));
		s.addremove = true;
		s.anonymous = false;
		s.sortable = true;
		s.nodescriptions = true;
		s.addbtntitle = _('Add rule');
		s.handleAdd = addHandler;

		const ruleCheck = function (sid) {
			const v = {};
			['src_ip', 'dest_ip', 'proto', 'src_port', 'dest_port', 'family', 'use_policy'].forEach((k) => {
				v[k] = current(this.section, sid, k) || '';
			});
			return validate.rule(v, names('policy'));
		};

		o = s.option(form.ListValue, 'family', _('Family'));
		o.value('any', _('IPv4 and IPv6'));
		o.value('ipv4', _('IPv4 only'));
		o.value('ipv6', _('IPv6 only'));
		o.default = 'any';
		o.modalonly = true;

		o = s.option(form.Value, 'proto', _('Protocol'), _('all, tcp, udp, icmp, icmpv6 or a protocol number.'));
		o.value('all', _('all'));
		o.value('tcp', 'TCP');
		o.value('udp', 'UDP');
		o.value('icmp', 'ICMP');
		o.value('icmpv6', 'ICMPv6');
		o.default = 'all';
		o.validate = (sid, v) => (v === '' ? true : validate.protocol(v));

		o = s.option(form.Value, 'src_ip', _('Source address'), _('An address or a subnet, e.g. 192.168.1.20 or 192.168.1.0/24.'));
		o.placeholder = _('any');
		o.validate = (sid, v) => (v === '' ? true : validate.ipOrCidr(v));

		o = s.option(form.Value, 'src_port', _('Source port'), _('A port, ports (80,443) or a range (1000:2000); tcp and udp only.'));
		o.placeholder = _('any');
		o.depends('proto', 'tcp');
		o.depends('proto', 'udp');
		o.modalonly = true;
		o.validate = (sid, v) => (v === '' ? true : validate.portList(v));

		o = s.option(form.Value, 'dest_ip', _('Destination address'), _('An address or a subnet, e.g. 203.0.113.7 or 2001:db8::/32.'));
		o.placeholder = _('any');
		o.validate = (sid, v) => (v === '' ? true : validate.ipOrCidr(v));

		o = s.option(form.Value, 'dest_port', _('Destination port'), _('A port, ports (80,443) or a range (1000:2000); tcp and udp only.'));
		o.placeholder = _('any');
		o.depends('proto', 'tcp');
		o.depends('proto', 'udp');
		o.validate = (sid, v) => (v === '' ? true : validate.portList(v));

		o = s.option(form.ListValue, 'use_policy', _('Policy'));
		names('policy').forEach((p) => {
			o.value(p);
		});
		if (!names('policy').length)
			o.description = _('Add a policy above and press Save first.');
		o.rmempty = false;
		o.validate = function (sid, v) {
			return v === '' ? _('Choose the policy for the traffic this rule matches') : ruleCheck.call(this, sid);
		};

		return m.render();
	},

	handleSaveApply: function (ev, mode) {
		return apply.saveApply(this, ev, mode);
	}
});
