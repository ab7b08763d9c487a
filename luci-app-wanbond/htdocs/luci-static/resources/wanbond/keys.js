'use strict';
'require baseclass';

/*
 * X25519 (RFC 7748) in the browser, only to show the router's PUBLIC key
 * next to the private key field and to generate a new private key without a
 * round trip. Speed is irrelevant (one scalar multiplication per click), so
 * this is the plain Montgomery ladder on BigInt. Keys are base64 of 32 raw
 * bytes, like `wanbond keygen` / `wg genkey`.
 */

const P = (BigInt(1) << BigInt(255)) - BigInt(19);
const A24 = BigInt(121665);
const ZERO = BigInt(0);
const ONE = BigInt(1);

function mod(a) {
	const r = a % P;
	return r < ZERO ? r + P : r;
}

function powmod(b, e) {
	let r = ONE;
	b = mod(b);
	while (e > ZERO) {
		if (e & ONE)
			r = (r * b) % P;
		b = (b * b) % P;
		e >>= ONE;
	}
	return r;
}

function toBigLE(bytes) {
	let n = ZERO;
	for (let i = bytes.length - 1; i >= 0; i--)
		n = (n << BigInt(8)) | BigInt(bytes[i]);
	return n;
}

function fromBigLE(n) {
	const out = new Uint8Array(32);
	for (let i = 0; i < 32; i++) {
		out[i] = Number(n & BigInt(255));
		n >>= BigInt(8);
	}
	return out;
}

function clamp(k) {
	const c = Uint8Array.from(k);
	c[0] &= 248;
	c[31] &= 127;
	c[31] |= 64;
	return c;
}

/* scalar, u: 32-byte Uint8Arrays; returns the 32-byte u-coordinate of scalar * u. */
function x25519(scalar, u) {
	const k = toBigLE(clamp(scalar));
	const uu = Uint8Array.from(u);
	uu[31] &= 127;
	const x1 = mod(toBigLE(uu));
	let x2 = ONE;
	let z2 = ZERO;
	let x3 = x1;
	let z3 = ONE;
	let swap = ZERO;
	for (let t = 254; t >= 0; t--) {
		const kt = (k >> BigInt(t)) & ONE;
		swap ^= kt;
		if (swap) {
			let tmp = x2; x2 = x3; x3 = tmp;
			tmp = z2; z2 = z3; z3 = tmp;
		}
		swap = kt;
		const a = mod(x2 + z2);
		const aa = (a * a) % P;
		const b = mod(x2 - z2);
		const bb = (b * b) % P;
		const e = mod(aa - bb);
		const c = mod(x3 + z3);
		const d = mod(x3 - z3);
		const da = (d * a) % P;
		const cb = (c * b) % P;
		const s1 = mod(da + cb);
		x3 = (s1 * s1) % P;
		const s2 = mod(da - cb);
		z3 = (x1 * ((s2 * s2) % P)) % P;
		x2 = (aa * bb) % P;
		z2 = (e * mod(aa + ((A24 * e) % P))) % P;
	}
	if (swap) {
		x2 = x3;
		z2 = z3;
	}
	return fromBigLE((x2 * powmod(z2, P - BigInt(2))) % P);
}

function decode(b64) {
	const s = String(b64 || '').trim();
	if (!/^[A-Za-z0-9+/]{43}=$/.test(s))
		return null;
	const bin = atob(s);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++)
		out[i] = bin.charCodeAt(i);
	return out.length === 32 ? out : null;
}

function encode(bytes) {
	let bin = '';
	for (let i = 0; i < bytes.length; i++)
		bin += String.fromCharCode(bytes[i]);
	return btoa(bin);
}

const BASE = new Uint8Array(32);
BASE[0] = 9;

/* The public key of a base64 private key, or null when it is not a key. */
function publicKey(privateB64) {
	const k = decode(privateB64);
	return k ? encode(x25519(k, BASE)) : null;
}

/* A new private key from the browser's CSPRNG, clamped like `wg genkey`. */
function generate(randomBytes) {
	const r = new Uint8Array(32);
	if (randomBytes)
		r.set(randomBytes(32));
	else
		crypto.getRandomValues(r);
	return encode(clamp(r));
}

return baseclass.extend({
	x25519: x25519,
	publicKey: publicKey,
	generate: generate,
	decode: decode,
	encode: encode
});
