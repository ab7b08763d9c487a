import type { Command, CommandIO } from './command.js';
import { join } from './join.js';
import { keygen, pubkey } from './keys.js';
import { lab } from './lab.js';
import { macvlan } from './macvlan.js';
import { pair } from './pair.js';
import { router } from './router.js';
import { server } from './server.js';
import { speedtest } from './speedtest.js';
import { status } from './status.js';
import { uci } from './uci.js';

const VERSION = '0.1.0';

export const commands: Command[] = [router, server, status, keygen, pubkey, pair, join, speedtest, lab, uci, macvlan];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `wanbond ${VERSION}: bond several WAN links into one tunnel\n\nusage: wanbond COMMAND [ARGS]\n\ncommands:\n${lines.join('\n')}\n\nRun 'wanbond COMMAND --help' for a command's options.\n`;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`wanbond: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  return command.run(rest, io);
}
