/**
 * Control methods LuCI calls on the router (luci-app-wanbond/.../wanbond/api.js): `join` (read or apply a pairing
 * line), `new_key` (a new key pair in the key file) and the MacVLAN WAN helper (`macvlan_list`, `macvlan_add`, `macvlan_del`). They edit UCI files under
 * `confdir`; what they change is applied through `apply` (the daemon's own reload, netifd's reload_config).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UciContext, UciError } from 'uci-parser';
import {
  addMacvlanWan,
  delMacvlanWan,
  listMacvlanWans,
  MacvlanError,
  type MacvlanUciOptions,
} from '../openwrt/macvlan.js';
import { JoinError, joinLine } from '../pairing/join.js';
import { PairingLineError, parsePairingLine } from '../pairing/line.js';
import { NewKeyError, newRouterKey } from '../pairing/new-key.js';
import type { ReloadOutcome } from '../pairing/reload.js';
import { ControlError, type ControlMethod } from './types.js';

export interface OpenwrtMethodsOptions {
  /** The router's wanbond config file (join writes it). */
  confPath: string;
  /** UCI config directory for network/firewall/wanbond (MacVLAN helper); /etc/config on OpenWrt. */
  confdir: string;
  uci?: MacvlanUciOptions;
  /** Re-reads the daemon's config (the join's and the MacVLAN link's changes). */
  reload(): Promise<{ ok: boolean; error?: string }>;
  /** Applies network/firewall changes (OpenWrt: reload_config); absent = nothing to do (tests). */
  applyNetwork?: () => Promise<void>;
  /** sysfs root, for a MacVLAN device's operstate (tests point it elsewhere). */
  sysfs?: string;
}

function str(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function bool(args: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = args[key];
  if (v === undefined || v === null) return dflt;
  return v === true || v === 1;
}

/** Errors from bad input are the caller's (INVALID_ARGUMENT); the rest surface as UNKNOWN_ERROR with the text. */
function asControlError(err: unknown): never {
  if (err instanceof ControlError) throw err;
  if (
    err instanceof PairingLineError ||
    err instanceof JoinError ||
    err instanceof MacvlanError ||
    err instanceof NewKeyError
  ) {
    throw new ControlError('INVALID_ARGUMENT', err.message);
  }
  if (err instanceof UciError || (err instanceof Error && err.name === 'ConfigError')) {
    throw new ControlError('INVALID_ARGUMENT', err.message);
  }
  throw err;
}

function operUp(sysfs: string, device: string): boolean {
  try {
    return readFileSync(`${sysfs}/class/net/${device}/operstate`, 'utf8').trim() !== 'down';
  } catch {
    return false;
  }
}

/** The next `wanN` no network interface uses yet (LuCI may leave the name to us). */
function freeInterfaceName(confdir: string, uci: MacvlanUciOptions | undefined): string {
  const { wanbondFile: _, ...dirs } = uci ?? {};
  const ctx = new UciContext({ confdir, ...dirs });
  let taken = new Set<string>();
  try {
    taken = new Set(ctx.load('network').sections.map((s) => s.name));
  } catch (err) {
    if (!(err instanceof UciError)) throw err;
  }
  for (let i = 1; ; i++) if (!taken.has(`wan${i}`)) return `wan${i}`;
}

export function openwrtMethods(opts: OpenwrtMethodsOptions): Record<string, ControlMethod> {
  // The MacVLAN helper's links belong in the daemon's own config, wherever -c put it (on OpenWrt: <confdir>/wanbond).
  const elsewhere = resolve(opts.confPath) !== resolve(opts.confdir, 'wanbond');
  const o: OpenwrtMethodsOptions = elsewhere
    ? { ...opts, uci: { ...opts.uci, wanbondFile: resolve(opts.confPath) } }
    : opts;
  const sysfs = o.sysfs ?? '/sys';
  const applyAll = async () => {
    await o.applyNetwork?.();
    return o.reload();
  };
  return {
    join: {
      params: { line: 'STRING', apply: 'BOOL' },
      async handler(args) {
        const line = str(args, 'line');
        if (line === undefined) throw new ControlError('INVALID_ARGUMENT', "argument 'line' is required");
        try {
          if (!bool(args, 'apply', false)) {
            // Parse only: LuCI stages these as UCI changes. The private key never leaves the daemon: a line that
            // carries one says so, and LuCI applies such a line with apply=true instead.
            const p = parsePairingLine(line);
            return {
              server: p.hosts[0],
              servers: p.hosts,
              port: p.port,
              server_key: p.serverKey,
              address: p.address,
              ...(p.address6 ? { address6: p.address6 } : {}),
              name: p.name,
              routes: p.routes,
              has_private_key: p.privateKey !== undefined,
            };
          }
          const r = await joinLine(o.confPath, line, {
            reload: async (): Promise<ReloadOutcome> => {
              const out = await o.reload();
              return { how: 'socket', path: 'direct', ok: out.ok, ...(out.error ? { error: out.error } : {}) };
            },
          });
          return {
            applied: true,
            server: r.pairing.hosts[0],
            port: r.pairing.port,
            address: r.pairing.address,
            public_key: r.publicKey,
            server_has_key: r.serverHasKey,
            generated_key: r.generatedKey,
            changes: r.changes.map((c) => c.option),
            reload:
              r.reload.how === 'socket'
                ? { ok: r.reload.ok, ...(r.reload.error ? { error: r.reload.error } : {}) }
                : { ok: false },
          };
        } catch (err) {
          asControlError(err);
        }
      },
    },
    new_key: {
      // The private key never leaves the daemon: LuCI gets the public key to hand to the server.
      async handler() {
        let r: { publicKey: string };
        try {
          r = newRouterKey(o.confPath);
        } catch (err) {
          asControlError(err);
        }
        const applied = await o.reload();
        return {
          public_key: r.publicKey,
          reload: { ok: applied.ok, ...(applied.error ? { error: applied.error } : {}) },
        };
      },
    },
    macvlan_list: {
      handler() {
        try {
          const list = listMacvlanWans(o.confdir, o.uci);
          return {
            macvlans: list.map((w) => ({
              name: w.device,
              device: w.device,
              parent: w.parent ?? '',
              interface: w.interface,
              macaddr: w.macaddr ?? '',
              proto: w.proto ?? '',
              links: w.links,
              up: operUp(sysfs, w.device),
            })),
          };
        } catch (err) {
          asControlError(err);
        }
      },
    },
    macvlan_add: {
      params: { parent: 'STRING', name: 'STRING', macaddr: 'STRING', add_link: 'BOOL' },
      async handler(args) {
        const parent = str(args, 'parent');
        if (parent === undefined) throw new ControlError('INVALID_ARGUMENT', "argument 'parent' is required");
        const addLink = bool(args, 'add_link', true);
        let out: Record<string, unknown>;
        try {
          const name = str(args, 'name') ?? freeInterfaceName(o.confdir, o.uci);
          const macaddr = str(args, 'macaddr');
          const r = addMacvlanWan(
            o.confdir,
            { parent, name, dhcp: true, link: addLink, ...(macaddr ? { macaddr } : {}) },
            o.uci,
          );
          const made = listMacvlanWans(o.confdir, o.uci).find((w) => w.interface === name);
          out = {
            device: made?.device ?? `v${name}`,
            interface: name,
            macaddr: made?.macaddr ?? '',
            ...(addLink ? { link: name } : {}),
            warnings: r.warnings,
          };
        } catch (err) {
          asControlError(err);
        }
        const applied = await applyAll();
        return { ...out, reload: { ok: applied.ok, ...(applied.error ? { error: applied.error } : {}) } };
      },
    },
    macvlan_del: {
      params: { name: 'STRING' },
      async handler(args) {
        const name = str(args, 'name');
        if (name === undefined) throw new ControlError('INVALID_ARGUMENT', "argument 'name' is required");
        let out: Record<string, unknown>;
        try {
          // LuCI's list shows devices; the helper removes interfaces: accept either.
          const byDevice = listMacvlanWans(o.confdir, o.uci).find((w) => w.device === name && w.interface !== name);
          const iface = byDevice?.interface ?? name;
          const r = delMacvlanWan(o.confdir, iface, {}, o.uci);
          out = { interface: iface, warnings: r.warnings };
        } catch (err) {
          asControlError(err);
        }
        const applied = await applyAll();
        return { ...out, reload: { ok: applied.ok, ...(applied.error ? { error: applied.error } : {}) } };
      },
    },
  };
}
