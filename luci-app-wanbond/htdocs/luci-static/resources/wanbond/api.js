'use strict';
'require baseclass';
'require rpc';

/*
 * Every call the views make to the daemon's ubus object `wanbond`, in one
 * place so that the ACL (root/usr/share/rpcd/acl.d/luci-app-wanbond.json) can
 * be checked against it.
 *
 * No `expect` and no `reject`: a call resolves to the reply object, or to the
 * bare ubus status code when the daemon failed (4 = object not found: the
 * daemon is not running). `expect` would replace that code by its default and
 * the page could not tell "not running" from "no links".
 */

const call = (method, params) => rpc.declare({ object: 'wanbond', method: method, params: params || [] });

/* Wrap so that a transport error resolves to the Error instead of rejecting: views render it. */
const safe = (fn) =>
	function () {
		return fn.apply(null, arguments).catch((e) => (e instanceof Error ? e : new Error(String(e))));
	};

return baseclass.extend({
	/* -> { role, state, server, port, mode, uptime, tunnel{}, links[], totals{} } (src/wanbond/control/types.ts) */
	status: safe(call('status')),
	/* -> { policies: [{ name, mode, use_links }] } */
	policies: safe(call('policies')),
	/* -> { events: [{ link, interface, from, to, time, reason }] } */
	events: safe(call('events')),
	/* Re-read /etc/config/wanbond -> { ok, error }; a rejected config keeps the running one. */
	reload: safe(call('reload')),
	/* link: a link name, or '' for each link then the bonded tunnel -> { job } */
	speedtest: safe(call('speedtest', ['link'])),
	/* job: from speedtest; none = the newest job -> { job, state, progress, phase, link, results[], error, started, finished } */
	speedtestResult: safe(call('speedtest_result', ['job'])),
	/* line: the pairing line printed by `wanbond pair` on the VPS; apply false = parse only -> { server, port, server_key, address, ... } */
	join: safe(call('join', ['line', 'apply'])),
	/* -> { macvlans: [{ name, parent, interface, macaddr, up }] } */
	macvlanList: safe(call('macvlan_list')),
	/* -> { device, interface, macaddr, link } */
	macvlanAdd: safe(call('macvlan_add', ['parent', 'name', 'macaddr', 'add_link'])),
	macvlanDel: safe(call('macvlan_del', ['name'])),
	/* -> { public_key }: a new key pair in the router's key file; the private key stays in the daemon */
	newKey: safe(call('new_key')),

	/* True when an api call produced a usable reply object. */
	ok: function (reply) {
		return reply != null && typeof reply === 'object' && !(reply instanceof Error);
	}
});
