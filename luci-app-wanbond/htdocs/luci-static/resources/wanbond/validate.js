'use strict';
'require baseclass';
'require wanbond.format as format';

/*
 * Validation of /etc/config/wanbond values, matching the daemon's schema
 * (src/wanbond/config) so that the form refuses what the daemon would refuse
 * on reload. Each check returns true or a sentence, LuCI's `validate`
 * convention; empty values are the caller's business (o.rmempty / optional).
 */

const MODES = ['bond', 'redundant', 'failover', 'direct'];
const FALLBACKS = ['direct', 'block'];
const FAMILIES = ['any', 'ipv4', 'ipv6'];
const PROTOS = ['all', 'tcp', 'udp', 'icmp', 'icmpv6'];

function ipv4(s) {
	const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
	if (!m)
		return false;
	for (let i = 1; i <= 4; i++) {
		if (Number(m[i]) > 255 || (m[i].length > 1 && m[i].charAt(0) === '0'))
			return false;
	}
	return true;
}

function ipv6(s) {
	if (!/^[0-9a-fA-F:.]+$/.test(s) || s.indexOf(':') < 0)
		return false;
	const dbl = s.split('::');
	if (dbl.length > 2)
		return false;
	let groups = 0;
	for (let d = 0; d < dbl.length; d++) {
		if (dbl[d] === '')
			continue;
		const parts = dbl[d].split(':');
		for (let i = 0; i < parts.length; i++) {
			const p = parts[i];
			if (i === parts.length - 1 && d === dbl.length - 1 && p.indexOf('.') >= 0) {
				if (!ipv4(p))
					return false;
				groups += 2;
			}
			else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
				groups++;
			}
			else {
				return false;
			}
		}
	}
	return dbl.length === 2 ? groups < 8 : groups === 8;
}

function family(addr) {
	if (ipv4(addr))
		return 'ipv4';
	if (ipv6(addr))
		return 'ipv6';
	return null;
}

/* An address or a subnet in CIDR notation: "192.0.2.1", "192.0.2.0/24", "2001:db8::/32". */
function ipOrCidr(s) {
	s = String(s).trim();
	const slash = s.indexOf('/');
	const addr = slash < 0 ? s : s.slice(0, slash);
	const f = family(addr);
	if (!f)
		return _('Expecting an IPv4 or IPv6 address, optionally with a prefix length (192.0.2.0/24)');
	if (slash >= 0) {
		const len = s.slice(slash + 1);
		const max = f === 'ipv4' ? 32 : 128;
		if (!/^\d{1,3}$/.test(len) || Number(len) > max)
			return format.fmt(_('The prefix length must be between 0 and %d'), max);
	}
	return true;
}

/* The tunnel address is a host address with its subnet's prefix: "10.255.0.2/24". */
function tunnelAddress(s) {
	const m = /^([^/]+)\/(\d{1,3})$/.exec(String(s).trim());
	if (!m || !ipv4(m[1]) || Number(m[2]) < 8 || Number(m[2]) > 30)
		return _('Expecting an IPv4 address with a prefix length between 8 and 30, like 10.255.0.2/24');
	return true;
}

/* RFC 1123 host name (each label 1..63 characters, at most 253 in all). */
function hostname(s) {
	return s.length <= 253 && /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(s);
}

function host(s) {
	s = String(s).trim();
	if (family(s) || hostname(s))
		return true;
	return _('Expecting a host name or an IP address of the VPS');
}

function port(s) {
	s = String(s).trim();
	if (/^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535)
		return true;
	return _('Expecting a port number between 1 and 65535');
}

/*
 * mwan3-style port match: "443", "80,443", "1000:2000" (also "1000-2000"),
 * and combinations of these separated by commas.
 */
function portList(s) {
	const items = String(s).trim().split(/\s*,\s*/);
	for (let i = 0; i < items.length; i++) {
		const m = /^(\d{1,5})(?:[:-](\d{1,5}))?$/.exec(items[i]);
		if (!m)
			return _('Expecting a port, a list of ports (80,443) or a range (1000:2000)');
		const lo = Number(m[1]);
		const hi = m[2] != null ? Number(m[2]) : lo;
		if (lo < 1 || hi > 65535 || lo > hi)
			return _('Ports must be between 1 and 65535, and a range must start with the lower port');
	}
	return true;
}

/* Keys are base64 of 32 raw bytes, the format of `wg genkey` and `wanbond keygen`. */
function key(s) {
	s = String(s).trim();
	if (/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(s))
		return true;
	return _('Expecting a key: 44 characters of base64 ending in "=", as printed by "wanbond keygen"');
}

function mode(s) {
	return MODES.indexOf(String(s)) >= 0 ? true : _('Expecting one of bond, redundant, failover or direct');
}

function fallback(s) {
	return FALLBACKS.indexOf(String(s)) >= 0 ? true : _('Expecting direct or block');
}

function mtu(s) {
	s = String(s).trim();
	if (/^\d{3,4}$/.test(s) && Number(s) >= 576 && Number(s) <= 9000)
		return true;
	return _('Expecting an MTU between 576 and 9000');
}

/* Linux interface names: 1..15 characters, no slash, colon or white space. */
function ifname(s) {
	s = String(s);
	if (s.length >= 1 && s.length <= 15 && /^[A-Za-z0-9_.@-]+$/.test(s) && s !== '.' && s !== '..')
		return true;
	return _('Expecting a device name of at most 15 letters, digits, "_", "-" or "."');
}

/* UCI section names, which the daemon also uses as link, policy and rule names. */
function sectionName(s) {
	s = String(s);
	if (/^[A-Za-z0-9_]{1,15}$/.test(s))
		return true;
	return _('Names may use A-Z, a-z, 0-9 and _ only, at most 15 characters');
}

function protocol(s) {
	s = String(s).trim().toLowerCase();
	if (PROTOS.indexOf(s) >= 0 || (/^\d{1,3}$/.test(s) && Number(s) <= 255))
		return true;
	return _('Expecting all, tcp, udp, icmp, icmpv6 or an IP protocol number');
}

function familyName(s) {
	return FAMILIES.indexOf(String(s)) >= 0 ? true : _('Expecting any, ipv4 or ipv6');
}

/*
 * Whole-section checks that need more than one option. Each takes plain
 * values (strings, or arrays for lists) and returns true or a sentence.
 */
function link(v) {
	const hasIface = !!v.interface;
	const hasDev = !!v.device || !!v.source;
	if (hasIface && hasDev)
		return _('Give either a network interface, or a device with a source address, not both');
	if (!hasIface && !(v.device && v.source))
		return _('Choose the network interface of this WAN (or give both its device and its source address)');
	if (v.source && !family(String(v.source)))
		return _('The source address must be an IP address of this router on that WAN');
	return true;
}

function policy(v, linkNames) {
	const use = Array.isArray(v.use_link) ? v.use_link : v.use_link ? [v.use_link] : [];
	const r = mode(v.mode || '');
	if (r !== true)
		return r;
	for (let i = 0; i < use.length; i++) {
		if (linkNames.indexOf(use[i]) < 0)
			return format.fmt(_('Link "%s" does not exist'), use[i]);
	}
	if (v.mode === 'direct' && use.length > 1)
		return _('A direct policy sends traffic out of one WAN: choose one link at most');
	if (v.mode === 'redundant' && use.length === 1)
		return _('A redundant policy needs at least two links (or none, meaning all)');
	return true;
}

function rule(v, policyNames) {
	const proto = String(v.proto || 'all').toLowerCase();
	if (protocol(proto) !== true)
		return protocol(proto);
	if ((v.src_port || v.dest_port) && proto !== 'tcp' && proto !== 'udp')
		return _('Ports can only be matched with protocol tcp or udp');
	const fam = v.family || 'any';
	const addrs = [v.src_ip, v.dest_ip];
	for (let i = 0; i < addrs.length; i++) {
		if (!addrs[i])
			continue;
		const ok = ipOrCidr(addrs[i]);
		if (ok !== true)
			return ok;
		const f = family(String(addrs[i]).split('/')[0]);
		if (fam !== 'any' && f !== fam)
			return format.fmt(_('Address %s does not belong to the family %s'), addrs[i], fam);
	}
	if (v.src_ip && v.dest_ip && family(String(v.src_ip).split('/')[0]) !== family(String(v.dest_ip).split('/')[0]))
		return _('Source and destination addresses must be of the same family');
	if (proto === 'icmp' && fam === 'ipv6')
		return _('Use icmpv6 for IPv6');
	if (proto === 'icmpv6' && fam === 'ipv4')
		return _('Use icmp for IPv4');
	if (!v.use_policy)
		return _('Choose the policy for the traffic this rule matches');
	if (policyNames.indexOf(v.use_policy) < 0)
		return format.fmt(_('Policy "%s" does not exist'), v.use_policy);
	return true;
}

/*
 * The MacVLAN dialog's request, checked before the daemon sees it: over ubus
 * the helper's refusal arrives as a bare "invalid argument" code, so the
 * usual reasons are caught here, in words. req: { parent, name, addLink };
 * taken: { interfaces, devices, links }: the names netifd interfaces, network
 * devices and wanbond links already use.
 */
function macvlan(req, taken) {
	const t = taken || {};
	const has = (list, v) => Array.isArray(list) && list.indexOf(v) >= 0;
	const parent = String(req.parent == null ? '' : req.parent).trim();
	if (parent === '')
		return _('Choose the Ethernet port the modems are plugged into');
	const p = ifname(parent);
	if (p !== true)
		return p;
	const name = String(req.name == null ? '' : req.name).trim();
	if (name === '')
		return true;
	const n = sectionName(name);
	if (n !== true)
		return n;
	/* The helper names the device "v" + the interface name, and device names end at 15 characters. */
	if (name.length > 14)
		return _('Use at most 14 characters: the device is named "v" followed by the interface name');
	if (has(t.interfaces, name))
		return format.fmt(_('A network interface named "%s" already exists'), name);
	if (has(t.devices, 'v' + name))
		return format.fmt(_('A network device named "%s" already exists'), 'v' + name);
	if (req.addLink && has(t.links, name))
		return format.fmt(_('A link named "%s" already exists'), name);
	return true;
}

return baseclass.extend({
	MODES: MODES,
	ipv4: ipv4,
	ipv6: ipv6,
	family: family,
	ipOrCidr: ipOrCidr,
	tunnelAddress: tunnelAddress,
	host: host,
	port: port,
	portList: portList,
	key: key,
	mode: mode,
	fallback: fallback,
	mtu: mtu,
	ifname: ifname,
	sectionName: sectionName,
	protocol: protocol,
	familyName: familyName,
	link: link,
	policy: policy,
	rule: rule,
	macvlan: macvlan
});
