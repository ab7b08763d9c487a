import { ConfigError } from '../config/errors.js';
import { PairError, pairClient } from '../pairing/pair.js';
import { PoolExhaustedError } from '../pairing/pool.js';
import { encodeQr } from '../pairing/qr.js';
import { renderQrText } from '../pairing/qr-text.js';
import { describeReload, reloadRunning } from '../pairing/reload.js';
import { type Command, parseOrExit } from './command.js';

const DEFAULT_CONFIG = '/etc/wanbond/server';

const USAGE = `usage: wanbond pair NAME [--lan CIDR ...] [--pubkey KEY] [--endpoint HOST[:PORT] ...] [--force]
                    [-c FILE] [--socket PATH] [--no-reload] [--no-qr]

Adds a router to this server (a 'config client NAME' section with the next free tunnel address), reloads the
running server, and prints the pairing line for 'wanbond join' on the router, plus the same line as a QR code.

  NAME                   the router's name on this server (letters, digits, '_')
  --lan CIDR             a LAN subnet behind the router, routed to it (repeatable)
  --pubkey KEY           the router's public key ('wanbond pubkey' on the router); without it a key pair is
                         generated here and the private key travels in the line (see docs/pairing.md)
  --endpoint HOST[:PORT] the address routers reach this server at (repeatable; default: option listen when
                         it is a public address; the port defaults to option port)
  --force                replace an existing client of that name (its old key stops working)
  -c, --config FILE      server config (default ${DEFAULT_CONFIG})
  --socket PATH          control socket of the running server (default /var/run/wanbond.sock)
  --no-reload            only edit the config
  --no-qr                print the line without the QR code`;

interface Args {
  name?: string;
  lans: string[];
  endpoints: string[];
  pubkey?: string;
  force: boolean;
  config: string;
  socket?: string;
  reload: boolean;
  qr: boolean;
}

function parse(args: string[]): Args | string {
  const a: Args = { lans: [], endpoints: [], force: false, config: DEFAULT_CONFIG, reload: true, qr: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (['--lan', '--endpoint', '--pubkey', '-c', '--config', '--socket'].includes(flag)) {
      const v = value();
      if (v === undefined || v === '') return `${flag} needs a value`;
      if (flag === '--lan') a.lans.push(...v.split(',').filter(Boolean));
      else if (flag === '--endpoint') a.endpoints.push(v);
      else if (flag === '--pubkey') a.pubkey = v;
      else if (flag === '--socket') a.socket = v;
      else a.config = v;
    } else if (flag === '--force') a.force = true;
    else if (flag === '--no-reload') a.reload = false;
    else if (flag === '--no-qr') a.qr = false;
    else if (arg.startsWith('-')) return `unknown option '${arg}'`;
    else if (a.name === undefined) a.name = arg;
    else return `unexpected argument '${arg}' (one NAME only)`;
  }
  if (a.name === undefined) return 'missing NAME';
  return a;
}

export const pair: Command = {
  name: 'pair',
  summary: 'add a router to this server and print its pairing line',
  usage: USAGE,
  async run(args, io) {
    const a = parseOrExit(pair, args, io, parse);
    if (typeof a === 'number') return a;
    let result: ReturnType<typeof pairClient>;
    try {
      result = pairClient(a.config, {
        name: a.name!,
        lans: a.lans,
        endpoints: a.endpoints,
        force: a.force,
        ...(a.pubkey === undefined ? {} : { publicKey: a.pubkey }),
      });
    } catch (err) {
      if (err instanceof PairError || err instanceof ConfigError || err instanceof PoolExhaustedError) {
        io.stderr(`wanbond pair: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    const p = result.pairing;
    const addr = [p.address, p.address6].filter(Boolean).join(', ');
    const routes = p.routes.length > 0 ? `, routes ${p.routes.join(', ')}` : '';
    io.stdout(`${result.replaced ? 'Replaced' : 'Added'} client '${p.name}' in ${a.config}: tunnel ${addr}${routes}\n`);
    if (a.reload) {
      const r = await reloadRunning('server', a.config, a.socket === undefined ? {} : { socket: a.socket });
      io.stdout(
        `${describeReload('server', r, 'the client works once the server (re)starts (systemctl restart wanbond-server)')}\n`,
      );
    }
    io.stdout(`\nOn the router, run:\n\n  wanbond join '${result.line}'\n\n`);
    io.stdout('or paste the line into LuCI (Network > WAN Bonding > Server > Paste pairing line).\n');
    if (a.qr) io.stdout(`\n${renderQrText(encodeQr(result.line, { ecLevel: 'M' }))}\n`);
    io.stdout(
      result.generatedKey
        ? `This line holds the router's private key: send it over a private channel and do not keep copies.\n`
        : `The line holds no secret: the router keeps its own private key.\n`,
    );
    return 0;
  },
};
