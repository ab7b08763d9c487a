import { type Command, notImplemented } from './command.js';

export const uci: Command = notImplemented(
  'uci',
  'uci-compatible config editing',
  'usage: wanbond uci [-c CONFDIR] [-P SAVEDIR] COMMAND ...',
);
