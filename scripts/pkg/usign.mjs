// usign (OpenWrt's signify) key and signature files, with Ed25519 from node:crypto. Layouts from usign's main.c:
//   public key  "Ed" | fingerprint[8] | pubkey[32]
//   secret key  "Ed" | "BK" | kdfrounds u32 (0: not encrypted) | salt[16] | checksum[8] | fingerprint[8] | seckey[64]
//   signature   "Ed" | fingerprint[8] | sig[64]          (pure Ed25519 over the whole message)
// Each file is "untrusted comment: ...\n" + base64 + "\n"; opkg looks keys up as /etc/opkg/keys/<fingerprint>.

import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';

/**
 * @typedef {{ fingerprint: Buffer, seed: Buffer, publicKey: Buffer }} UsignKey
 */

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

function privateKeyObject(seed) {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

function publicFromSeed(seed) {
  const der = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

/** The fingerprint as usign -F prints it and as /etc/opkg/keys/ names the file: 16 lowercase hex digits. */
export function fingerprintHex(fp) {
  return Buffer.from(fp).toString('hex');
}

function encodeFile(comment, bytes) {
  return `untrusted comment: ${comment}\n${bytes.toString('base64')}\n`;
}

function decodeFile(text, size, what) {
  const lines = text.split('\n');
  if (!lines[0]?.startsWith('untrusted comment:')) throw new Error(`usign: ${what} has no 'untrusted comment:' line`);
  const bytes = Buffer.from((lines[1] ?? '').trim(), 'base64');
  if (bytes.length !== size || bytes.subarray(0, 2).toString() !== 'Ed') {
    throw new Error(`usign: ${what} is not an Ed25519 usign file`);
  }
  return bytes;
}

/** @returns {UsignKey} */
export function generateKey() {
  const seed = randomBytes(32);
  // usign clamps the secret in place before use (ed25519_prepare); any 32 bytes are a valid Ed25519 seed, so
  // doing the same keeps our key file byte-compatible with one `usign -G` writes.
  seed[0] &= 248;
  seed[31] &= 127;
  seed[31] |= 64;
  return { fingerprint: randomBytes(8), seed, publicKey: publicFromSeed(seed) };
}

/** @param {UsignKey} key */
export function secretKeyFile(key, comment = `private key ${fingerprintHex(key.fingerprint)}`) {
  const seckey = Buffer.concat([key.seed, key.publicKey]);
  const checksum = createHash('sha512').update(seckey).digest().subarray(0, 8);
  const body = Buffer.concat([
    Buffer.from('EdBK'),
    Buffer.alloc(4), // kdfrounds 0: the file is not passphrase-protected (usign -G never encrypts)
    Buffer.alloc(16),
    checksum,
    key.fingerprint,
    seckey,
  ]);
  return encodeFile(comment, body);
}

/** @returns {UsignKey} */
export function parseSecretKeyFile(text) {
  const b = decodeFile(text, 104, 'secret key');
  if (b.readUInt32BE(4) !== 0) throw new Error('usign: passphrase-protected secret keys are not supported');
  const seckey = b.subarray(40, 104);
  const checksum = createHash('sha512').update(seckey).digest().subarray(0, 8);
  if (!checksum.equals(b.subarray(24, 32))) throw new Error('usign: secret key checksum mismatch');
  const seed = Buffer.from(seckey.subarray(0, 32));
  const publicKey = publicFromSeed(seed);
  if (!publicKey.equals(seckey.subarray(32))) throw new Error('usign: secret key does not match its public half');
  return { fingerprint: Buffer.from(b.subarray(32, 40)), seed, publicKey };
}

/** @param {UsignKey} key */
export function publicKeyFile(key, comment = `public key ${fingerprintHex(key.fingerprint)}`) {
  return encodeFile(comment, Buffer.concat([Buffer.from('Ed'), key.fingerprint, key.publicKey]));
}

/**
 * The detached signature file (`usign -S -m FILE` writes FILE.sig) for a message.
 * @param {UsignKey} key
 * @param {Buffer} message
 */
export function signatureFile(key, message) {
  const sig = sign(null, message, privateKeyObject(key.seed));
  return encodeFile(
    `signed by key ${fingerprintHex(key.fingerprint)}`,
    Buffer.concat([Buffer.from('Ed'), key.fingerprint, sig]),
  );
}
