/**
 * A new router key pair, kept where LuCI's uci ACL cannot read it: the private key goes to the config's key_file
 * (or the default /etc/wanbond/router.key for /etc/config/wanbond), written private from its first byte, and an
 * inline private_key is dropped. The server must learn the new public key (`wanbond pair NAME --force --pubkey`).
 */
import { generatePrivateKey, publicKeyOf } from '../engine/keys.js';
import { defaultKeyFile } from './join.js';
import { deleteOption, ensureSection, getOption, openUciFile, setOption, writeKeyFile } from './uci-file.js';

export class NewKeyError extends Error {}

export interface NewKeyResult {
  publicKey: string;
  keyFile: string;
}

export function newRouterKey(confPath: string, opts: { keyFile?: string } = {}): NewKeyResult {
  const file = openUciFile(confPath);
  const keyFile = getOption(file.pkg, 'main', 'key_file') ?? opts.keyFile ?? defaultKeyFile(confPath);
  if (keyFile === undefined) {
    throw new NewKeyError(
      `${confPath} has no key_file; set one (e.g. /etc/wanbond/router.key) to keep keys out of UCI`,
    );
  }
  const key = generatePrivateKey();
  // Key first, config second: a crash in between leaves a config naming a valid key.
  writeKeyFile(keyFile, key);
  ensureSection(file.pkg, 'main', 'wanbond');
  setOption(file.pkg, 'main', 'key_file', keyFile);
  if (getOption(file.pkg, 'main', 'private_key') !== undefined) deleteOption(file.pkg, 'main', 'private_key');
  file.commit();
  return { publicKey: publicKeyOf(key), keyFile };
}
