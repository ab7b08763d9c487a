import { runUciCli } from 'uci-parser';
import type { Command } from './command.js';

const USAGE = `usage: wanbond uci [-c CONFDIR] [-t SAVEDIR | -P SAVEDIR] [-X] COMMAND ARGS...

OpenWrt's \`uci\` for hosts without libuci (the VPS): same commands, options, output and exit codes.
  show [CONFIG[.SECTION[.OPTION]]]   get CONFIG.SECTION[.OPTION]   set CONFIG.SECTION[.OPTION]=VALUE
  add CONFIG TYPE   add_list / del_list CONFIG.SECTION.OPTION=VALUE   delete CONFIG[.SECTION[.OPTION]]
  rename CONFIG.SECTION[.OPTION]=NAME   reorder CONFIG.SECTION=POS   changes / commit / revert / export [CONFIG]
Changes are saved in SAVEDIR (default /tmp/.uci) until \`commit\` writes CONFDIR/CONFIG (default /etc/config).
As in uci, -P also makes \`commit\` a no-op; use -t to change the save dir and still commit.
On the VPS the server config is package \`server\` in /etc/wanbond:
  wanbond uci -c /etc/wanbond set server.main.port=5556 && wanbond uci -c /etc/wanbond commit server`;

export const uci: Command = {
  name: 'uci',
  summary: 'uci-compatible config editing',
  usage: USAGE,
  async run(args, io) {
    if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    return runUciCli(['uci', ...args], io);
  },
};
