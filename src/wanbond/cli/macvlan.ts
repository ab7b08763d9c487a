import {
  addMacvlanWan,
  delMacvlanWan,
  formatMacvlanList,
  listMacvlanWans,
  type MacvlanAddOptions,
  MacvlanError,
  type MacvlanMode,
  type MacvlanUciOptions,
} from '../openwrt/macvlan.js';
import { type Command, type CommandIO, wantsHelp } from './command.js';

const USAGE = `usage: wanbond macvlan add --parent DEV --name IFACE (--ipaddr ADDR/LEN --gateway GW | --dhcp) [options]
       wanbond macvlan list [--json] [-c CONFDIR]
       wanbond macvlan del IFACE [--no-commit] [-c CONFDIR]

Several WANs on one NIC: each modem gets a MacVLAN device on the parent NIC, a netifd interface in the firewall
'wan' zone and a wanbond link, written through uci (pending uci changes are kept and committed with ours).

add options:
  --parent DEV       parent NIC (e.g. eth0)            --name IFACE     interface and link name (e.g. wan1)
  --ipaddr ADDR/LEN  static address (192.168.11.10/24)  --gateway GW     the modem (192.168.11.1)
  --dhcp             get address and gateway by DHCP   --device NAME    MacVLAN device name (default v<IFACE>)
  --mode MODE        private|vepa|bridge|passthru (default private)
  --macaddr MAC      (default: a stable address derived from parent and name)
  --metric N         route metric (default: 10 above the highest one configured)
  --zone ZONE        firewall zone (default wan)       --no-link        do not add a wanbond link
common options:
  -c CONFDIR         config directory (default /etc/config)
  -t SAVEDIR         uci save directory for pending changes (default /tmp/.uci)
  --no-commit        only save the changes as pending (see 'uci changes'); commit later with 'uci commit'
Apply committed changes on OpenWrt with: reload_config`;

const VALUE_OPTS = new Set([
  '--parent',
  '--name',
  '--ipaddr',
  '--gateway',
  '--device',
  '--mode',
  '--macaddr',
  '--metric',
  '--zone',
  '-c',
  '-t',
]);
const FLAGS = new Set(['--dhcp', '--no-link', '--no-commit', '--json']);

interface Parsed {
  values: Map<string, string>;
  flags: Set<string>;
  positional: string[];
}

function parse(args: string[]): Parsed | string {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTS.has(a)) {
      const v = args[++i];
      if (v === undefined || v === '') return `${a} needs a value`;
      values.set(a, v);
    } else if (FLAGS.has(a)) flags.add(a);
    else if (a.startsWith('-')) return `unknown option '${a}'`;
    else positional.push(a);
  }
  return { values, flags, positional };
}

function fail(io: CommandIO, message: string, usage = false): number {
  io.stderr(`wanbond macvlan: ${message}\n${usage ? `\n${USAGE}\n` : ''}`);
  return 1;
}

export const macvlan: Command = {
  name: 'macvlan',
  summary: 'add, list or remove MacVLAN WANs on one NIC',
  usage: USAGE,
  async run(args, io) {
    if (wantsHelp(args)) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const [verb, ...rest] = args;
    const p = parse(rest);
    if (typeof p === 'string') return fail(io, p, true);
    const confdir = p.values.get('-c') ?? '/etc/config';
    const uci: MacvlanUciOptions = {};
    const savedir = p.values.get('-t');
    if (savedir !== undefined) uci.savedir = savedir;
    const commit = !p.flags.has('--no-commit');
    try {
      if (verb === 'add') {
        if (p.positional.length > 0) return fail(io, `unexpected argument '${p.positional[0]}'`, true);
        const parent = p.values.get('--parent');
        const name = p.values.get('--name');
        if (parent === undefined || name === undefined) return fail(io, 'add needs --parent and --name', true);
        const o: MacvlanAddOptions = { parent, name, commit, link: !p.flags.has('--no-link') };
        const copy = (flag: string, key: 'ipaddr' | 'gateway' | 'device' | 'macaddr' | 'zone') => {
          const v = p.values.get(flag);
          if (v !== undefined) o[key] = v;
        };
        copy('--ipaddr', 'ipaddr');
        copy('--gateway', 'gateway');
        copy('--device', 'device');
        copy('--macaddr', 'macaddr');
        copy('--zone', 'zone');
        if (p.flags.has('--dhcp')) o.dhcp = true;
        const mode = p.values.get('--mode');
        if (mode !== undefined) o.mode = mode as MacvlanMode;
        const metric = p.values.get('--metric');
        if (metric !== undefined) {
          if (!/^\d+$/.test(metric)) return fail(io, `--metric '${metric}' is not a whole number`);
          o.metric = Number(metric);
        }
        const r = addMacvlanWan(confdir, o, uci);
        for (const w of r.warnings) io.stderr(`wanbond macvlan: warning: ${w}\n`);
        io.stdout(r.changes);
        io.stdout(commit ? 'committed; apply with: reload_config\n' : 'saved as pending uci changes\n');
        return 0;
      }
      if (verb === 'list') {
        if (p.positional.length > 0) return fail(io, `unexpected argument '${p.positional[0]}'`, true);
        const list = listMacvlanWans(confdir, uci);
        io.stdout(p.flags.has('--json') ? `${JSON.stringify(list, null, 2)}\n` : formatMacvlanList(list));
        return 0;
      }
      if (verb === 'del' || verb === 'delete') {
        const name = p.positional[0] ?? p.values.get('--name');
        if (name === undefined || p.positional.length > 1) return fail(io, 'del needs one interface name', true);
        const r = delMacvlanWan(confdir, name, { commit }, uci);
        for (const w of r.warnings) io.stderr(`wanbond macvlan: warning: ${w}\n`);
        io.stdout(r.changes);
        io.stdout(commit ? 'committed; apply with: reload_config\n' : 'saved as pending uci changes\n');
        return 0;
      }
      return fail(io, verb === undefined ? 'missing command' : `unknown command '${verb}'`, true);
    } catch (err) {
      if (err instanceof MacvlanError) return fail(io, err.message);
      if (err instanceof Error && err.name.startsWith('Uci')) return fail(io, `uci: ${err.message}`);
      throw err;
    }
  },
};
