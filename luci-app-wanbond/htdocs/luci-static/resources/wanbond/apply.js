'use strict';
'require baseclass';
'require ui';
'require wanbond.api as api';

/*
 * Save & Apply for the configuration tabs. rpcd's apply commits
 * /etc/config/wanbond and fires procd's reload trigger for the package; once
 * LuCI has confirmed the apply, ask the daemon to reload as well (a daemon
 * started by hand has no procd trigger) and say so when it refused the new
 * configuration, since it then keeps running the old one.
 */

function saveApply(view, ev, mode) {
	return view.handleSave(ev).then(() => {
		document.addEventListener('uci-applied', () => {
			api.reload().then((r) => {
				if (api.ok(r) && r.ok === false)
					ui.addNotification(_('wanbond kept its running configuration'), E('p', [String(r.error || '')]), 'danger');
			});
		}, { once: true });
		ui.changes.apply(String(mode) === '0');
	});
}

return baseclass.extend({
	saveApply: saveApply
});
