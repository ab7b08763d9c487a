import { ConfigError } from '../config/errors.js';
import { describeChange, JoinError, joinLine } from '../pairing/join.js';
import { PairingLineError } from '../pairing/line.js';
import { describeReload } from '../pairing/reload.js';
import { type Command, wantsHelp } from './command.js';

const DEFAULT_CONFIG = '/etc/config/wanbond';

const USAGE = `usage: wanbond join LINE [-c FILE] [--force] [--socket PATH] [--no-reload]

Configures this router from the pairing line 'wanbond pair' printed on the server: fills wanbond.main (server,
port, server_key, address, private_key when the line has one, enabled), prints what changed, and reloads the
running router. Quote the line: it contains '&' and '?'. LINE '-' reads it from stdin, which keeps a line
holding a private key out of the shell history.

  -c, --config FILE  router config (default ${DEFAULT_CONFIG})
  --force            accept a line for a different server than the one configured
  --socket PATH      control socket of the running router (default /var/run/wanbond.sock)
  --no-reload        only edit the config`;

export const join: Command = {
  name: 'join',
  summary: 'configure this router from a pairing line',
  usage: USAGE,
  async run(args, io) {
    if (wantsHelp(args)) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    let line: string | undefined;
    let config = DEFAULT_CONFIG;
    let force = false;
    let reload = true;
    let socket: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-c' || a === '--config' || a === '--socket') {
        const v = args[++i];
        if (v === undefined || v === '') {
          io.stderr(`wanbond join: ${a} needs a value\n\n${USAGE}\n`);
          return 1;
        }
        if (a === '--socket') socket = v;
        else config = v;
      } else if (a === '--force') force = true;
      else if (a === '--no-reload') reload = false;
      else if (a === '-') line = (await io.readStdin()).trim();
      else if (a.startsWith('-')) {
        io.stderr(`wanbond join: unknown option '${a}'\n\n${USAGE}\n`);
        return 1;
      } else if (line === undefined) line = a;
      else {
        io.stderr(`wanbond join: unexpected argument '${a}' (did you forget to quote the line?)\n`);
        return 1;
      }
    }
    if (line === undefined) {
      io.stderr(`wanbond join: missing LINE\n\n${USAGE}\n`);
      return 1;
    }
    try {
      const r = await joinLine(config, line, { force, reload, ...(socket === undefined ? {} : { socket }) });
      const p = r.pairing;
      io.stdout(`Joined server ${p.hosts[0]}:${p.port} as '${p.name}' (tunnel ${p.address}).\n`);
      if (r.changes.length === 0) io.stdout(`${config} already had these settings: nothing changed.\n`);
      else {
        io.stdout(`Changed in ${config}:\n`);
        const pkgName = config.slice(config.lastIndexOf('/') + 1);
        for (const c of r.changes) io.stdout(`  ${describeChange(pkgName, r.section, c)}\n`);
      }
      if (p.hosts.length > 1) io.stdout(`Other addresses of this server: ${p.hosts.slice(1).join(', ')}\n`);
      if (p.routes.length > 0) io.stdout(`The server routes ${p.routes.join(', ')} to this router.\n`);
      if (r.changes.length > 0 && reload)
        io.stdout(
          `${describeReload('router', r.reload, "start it: '/etc/init.d/wanbond restart' on OpenWrt, or 'wanbond router -c FILE'")}\n`,
        );
      if (!r.serverHasKey) {
        const why = p.clientKey
          ? `The server registered a different public key for '${p.name}' than this router's.`
          : `The server needs this router's public key.`;
        io.stdout(
          `\n${why} On the server, run:\n\n  wanbond pair ${p.name} --force --pubkey ${r.publicKey}${p.routes.map((x) => ` --lan ${x}`).join('')}\n\n` +
            `(or set public_key '${r.publicKey}' in its 'config client ${p.name}' section).\n`,
        );
      } else if (!r.keyFromLine) io.stdout(`This router's public key ${r.publicKey} matches the server's record.\n`);
      return 0;
    } catch (err) {
      if (err instanceof PairingLineError) {
        io.stderr(`wanbond join: bad pairing line: ${err.message}\n`);
        return 1;
      }
      if (err instanceof JoinError || err instanceof ConfigError) {
        io.stderr(`wanbond join: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
