'use strict';
'require baseclass';

/*
 * Number and time formatting for the wanbond views. Pure: no DOM, no clock
 * (callers pass "now"), no String.prototype.format, so that the unit tests
 * can load this file outside LuCI.
 */

function isNum(v) {
	return typeof v === 'number' && isFinite(v);
}

/* Replace %s / %d in a translated template with the arguments, in order. */
function fmt(template) {
	const args = Array.prototype.slice.call(arguments, 1);
	let i = 0;
	return String(template).replace(/%[sd%]/g, (m) => {
		if (m === '%%')
			return '%';
		const v = args[i++];
		return m === '%d' ? String(Math.round(Number(v))) : String(v);
	});
}

/* Three significant digits at most, never exponent notation. */
function trim3(v) {
	if (v >= 100)
		return String(Math.round(v));
	if (v >= 10)
		return (Math.round(v * 10) / 10).toFixed(1).replace(/\.0$/, '');
	return (Math.round(v * 100) / 100).toFixed(2).replace(/\.?0+$/, '');
}

/* Network rates are decimal: 1 Mbit/s = 1000 kbit/s, like speed test sites and ISPs. */
function rateKbit(kbit) {
	if (!isNum(kbit) || kbit < 0)
		return '-';
	if (kbit >= 1e6)
		return trim3(kbit / 1e6) + ' Gbit/s';
	if (kbit >= 1e3)
		return trim3(kbit / 1e3) + ' Mbit/s';
	return trim3(kbit) + ' kbit/s';
}

function rateBits(bitsPerSecond) {
	return isNum(bitsPerSecond) ? rateKbit(bitsPerSecond / 1000) : '-';
}

/* Byte counters are binary, like LuCI's own interface statistics. */
function bytes(n) {
	if (!isNum(n) || n < 0)
		return '-';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return (i === 0 ? String(Math.round(n)) : trim3(n)) + ' ' + units[i];
}

function ms(v) {
	if (!isNum(v) || v < 0)
		return '-';
	return (v < 10 ? trim3(v) : String(Math.round(v))) + ' ms';
}

/* A ratio in 0..1 shown as a percentage. */
function percent(ratio, digits) {
	if (!isNum(ratio))
		return '-';
	const p = ratio * 100;
	const d = digits != null ? digits : p !== 0 && Math.abs(p) < 10 ? 1 : 0;
	return p.toFixed(d) + ' %';
}

/* "3d 4h", "2h 5m", "4m 10s", "12s": two units are enough to read at a glance. */
function duration(seconds) {
	if (!isNum(seconds) || seconds < 0)
		return '-';
	const s = Math.floor(seconds);
	const d = Math.floor(s / 86400);
	const h = Math.floor((s % 86400) / 3600);
	const m = Math.floor((s % 3600) / 60);
	const r = s % 60;
	if (d > 0)
		return d + 'd ' + h + 'h';
	if (h > 0)
		return h + 'h ' + m + 'm';
	if (m > 0)
		return m + 'm ' + r + 's';
	return r + 's';
}

function pad2(n) {
	return n < 10 ? '0' + n : String(n);
}

/* Wall-clock time of an epoch (ms), in the browser's time zone; the date only when it is not today. */
function clock(epochMs, nowMs) {
	if (!isNum(epochMs))
		return '-';
	const d = new Date(epochMs);
	const hms = pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
	if (isNum(nowMs)) {
		const n = new Date(nowMs);
		if (n.getFullYear() === d.getFullYear() && n.getMonth() === d.getMonth() && n.getDate() === d.getDate())
			return hms;
	}
	return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' + hms;
}

/* "5m 3s ago" */
function ago(epochMs, nowMs) {
	if (!isNum(epochMs) || !isNum(nowMs))
		return '-';
	return fmt(_('%s ago'), duration(Math.max(0, (nowMs - epochMs) / 1000)));
}

return baseclass.extend({
	fmt: fmt,
	rateKbit: rateKbit,
	rateBits: rateBits,
	bytes: bytes,
	ms: ms,
	percent: percent,
	duration: duration,
	clock: clock,
	ago: ago,
	isNum: isNum
});
