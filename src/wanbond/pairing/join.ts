/**
 * `wanbond join LINE` on the router (and the ubus method behind LuCI's "Paste pairing line"): write the pairing
 * line's server, port, key and tunnel address into `wanbond.main`, report every change without ever showing key
 * material, and reload the running router.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { parseRouterConfig } from '../config/router.js';
import { generatePrivateKey, publicKeyOf } from '../engine/keys.js';
import { type PairingLine, parsePairingLine } from './line.js';
import { type ReloadOutcome, reloadRunning } from './reload.js';
import {
  deleteOption,
  ensureSection,
  getOption,
  openUciFile,
  readKeyFile,
  setOption,
  writeKeyFile,
} from './uci-file.js';

export class JoinError extends Error {}

export interface JoinOptions {
  /** Accept a line for a different server than the one configured. */
  force?: boolean;
  /** false: do not reload; a function: reload this way (the daemon's own ubus object passes its reload). */
  reload?: boolean | (() => Promise<ReloadOutcome>);
  /** Control socket of the running router (default /var/run/wanbond.sock). */
  socket?: string;
  /** Key generator, for a router that has no key yet (tests pass a fixed one). */
  generateKey?: () => string;
  /**
   * Where a key that join writes goes when the config names no `key_file` yet. Default: DEFAULT_KEY_FILE when
   * `confPath` is /etc/config/wanbond, else none, and such a key is written inline as `private_key` (other
   * config paths are tests and non-OpenWrt hosts, where no LuCI can read the file).
   */
  keyFile?: string;
}

/** The router's key on OpenWrt: out of /etc/config/wanbond, which LuCI users read through rpcd's uci ACL. */
export const DEFAULT_KEY_FILE = '/etc/wanbond/router.key';
const OPENWRT_CONFIG = '/etc/config/wanbond';

/** The key file join uses for a config that names none: only OpenWrt's own config gets one. */
export function defaultKeyFile(confPath: string): string | undefined {
  return resolve(confPath) === OPENWRT_CONFIG ? DEFAULT_KEY_FILE : undefined;
}

const HIDDEN = '(not shown)';

export interface JoinChange {
  /** `wanbond.main.<option>`; 'private_key' with `file` set when the key lives in a key file. */
  option: string;
  /** The change is to the private key held in this file (`key_file`), not to an option. */
  file?: string;
  old?: string;
  new?: string;
  /** Key material: old/new hold '(not shown)' instead of the value. */
  secret: boolean;
}

export interface JoinResult {
  /** The line's contents without the private key (`keyFromLine` says whether it had one). */
  pairing: Omit<PairingLine, 'privateKey'>;
  /** The UCI section that was filled (normally 'main'). */
  section: string;
  changes: JoinChange[];
  /** The router's public key after joining. */
  publicKey: string;
  /** The line carried the router's private key (nothing to send back to the server). */
  keyFromLine: boolean;
  /** A new key pair was generated here because the router had none. */
  generatedKey: boolean;
  /** The server already holds this router's public key (the line's `pk` matches): nothing to send back. */
  serverHasKey: boolean;
  reload: ReloadOutcome;
}

/** Fills the router config at `confPath` from a pairing line. Throws PairingLineError, JoinError or ConfigError. */
export async function joinLine(confPath: string, line: string, opts: JoinOptions = {}): Promise<JoinResult> {
  const pairing = parsePairingLine(line);
  const file = openUciFile(confPath);
  const pkg = file.pkg;
  const mains = pkg.sectionsOfType('wanbond');
  const main = mains.find((s) => s.name === 'main') ?? mains[0];
  if (!main && pkg.section('main'))
    throw new JoinError(`${confPath}: section 'main' is a 'config ${pkg.section('main')!.type}', not 'config wanbond'`);
  const sec = main?.name ?? ensureSection(pkg, 'main', 'wanbond').name;
  const get = (o: string) => getOption(pkg, sec, o);

  const oldServerKey = get('server_key');
  if (oldServerKey && oldServerKey !== pairing.serverKey && !opts.force)
    throw new JoinError(
      `this router is paired with another server (${get('server') ?? 'unknown'}, key ${oldServerKey}); ` +
        `the line is for ${pairing.hosts[0]} (key ${pairing.serverKey}). Use --force to switch servers`,
    );

  const changes: JoinChange[] = [];
  const set = (option: string, value: string | undefined, secret = false) => {
    const old = get(option);
    if (old === value) return;
    if (value === undefined) deleteOption(pkg, sec, option);
    else setOption(pkg, sec, option, value);
    // Key material never enters the result: it may be serialized to LuCI over ubus.
    const change: JoinChange = { option, secret };
    if (old !== undefined) change.old = secret ? HIDDEN : old;
    if (value !== undefined) change.new = secret ? HIDDEN : value;
    changes.push(change);
  };

  // Where a key written here goes: the configured key_file, or the default one; undefined = inline private_key.
  const keyFile = get('key_file') ?? opts.keyFile ?? defaultKeyFile(confPath);
  let pendingKey: { path: string; key: string } | undefined;
  const setKey = (key: string) => {
    if (keyFile === undefined) {
      set('private_key', key, true);
      return;
    }
    const old = inspectKeyFile(keyFile);
    if (old.key !== key) {
      pendingKey = { path: keyFile, key };
      const change: JoinChange = { option: 'private_key', file: keyFile, secret: true, new: HIDDEN };
      if (old.exists) change.old = HIDDEN;
      changes.push(change);
    }
    set('key_file', keyFile);
    set('private_key', undefined, true);
  };

  let privateKey: string;
  let generatedKey = false;
  if (pairing.privateKey !== undefined) {
    privateKey = pairing.privateKey;
    setKey(privateKey);
  } else if (get('private_key')) {
    // An inline key the admin (or an older install) put there stays: the line gives no reason to change keys.
    privateKey = get('private_key')!;
  } else if (get('key_file')) {
    const kf = get('key_file')!;
    try {
      privateKey = readFileSync(kf, 'utf8').trim();
      publicKeyOf(privateKey);
    } catch (err) {
      throw new JoinError(`cannot use the router's key_file ${kf}: ${(err as Error).message}`);
    }
  } else {
    // No key configured. A key file already at the default path (an earlier install's) is named, not replaced.
    const found = keyFile === undefined ? undefined : inspectKeyFile(keyFile);
    if (found?.key !== undefined) {
      if (!validKey(found.key))
        throw new JoinError(`${keyFile} exists but holds no valid private key: remove it and join again`);
      privateKey = found.key;
    } else {
      privateKey = (opts.generateKey ?? generatePrivateKey)();
      generatedKey = true;
    }
    setKey(privateKey);
  }
  let publicKey: string;
  try {
    publicKey = publicKeyOf(privateKey);
  } catch {
    throw new JoinError(`${confPath}: option private_key is not a valid key; remove it and join again`);
  }

  set('enabled', '1');
  set('server', pairing.hosts[0]!);
  set('port', String(pairing.port));
  set('server_key', pairing.serverKey);
  set('address', pairing.address);
  set('address6', pairing.address6);

  try {
    // The key file is checked as it will be, before anything is written.
    const readFile = (p: string) => (p === pendingKey?.path ? `${pendingKey.key}\n` : readFileSync(p, 'utf8'));
    parseRouterConfig(file.text(), confPath, { readFile });
  } catch (err) {
    if (err instanceof ConfigError)
      throw new JoinError(`the joined config would not load, nothing was written: ${err.message}`);
    throw err;
  }
  if (changes.length > 0) {
    // The key first: the config never names a key file that does not hold the key yet.
    if (pendingKey) {
      try {
        writeKeyFile(pendingKey.path, pendingKey.key);
      } catch (err) {
        throw new JoinError(`cannot write the router's key to ${pendingKey.path}: ${(err as Error).message}`);
      }
    }
    file.commit();
  }

  let reload: ReloadOutcome = { how: 'skipped' };
  if (changes.length > 0 && opts.reload !== false) {
    reload =
      typeof opts.reload === 'function'
        ? await opts.reload()
        : await reloadRunning('router', confPath, opts.socket === undefined ? {} : { socket: opts.socket });
  }
  const shown: PairingLine = { ...pairing };
  delete shown.privateKey;
  return {
    pairing: shown,
    section: sec,
    changes,
    publicKey,
    keyFromLine: pairing.privateKey !== undefined,
    generatedKey,
    serverHasKey: pairing.privateKey !== undefined || pairing.clientKey === publicKey,
    reload,
  };
}

function inspectKeyFile(path: string): ReturnType<typeof readKeyFile> {
  try {
    return readKeyFile(path);
  } catch (err) {
    throw new JoinError(`cannot read the router's key file ${path}: ${(err as Error).message}`);
  }
}

function validKey(key: string): boolean {
  try {
    publicKeyOf(key);
    return true;
  } catch {
    return false;
  }
}

/** `old -> new` for one change; key material only as set / replaced / removed. */
export function describeChange(pkgName: string, section: string, c: JoinChange): string {
  const ref = c.file === undefined ? `${pkgName}.${section}.${c.option}` : `private key in ${c.file}`;
  if (c.secret) {
    const what = c.old === undefined ? 'set' : c.new === undefined ? 'removed' : 'replaced';
    return `${ref}: ${what} (not shown)`;
  }
  const show = (v: string | undefined) => (v === undefined ? '(unset)' : `'${v}'`);
  return `${ref}: ${show(c.old)} -> ${show(c.new)}`;
}
