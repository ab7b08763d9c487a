import { type Command, notImplemented } from './command.js';

export const status: Command = notImplemented(
  'status',
  'show the running daemon links and session',
  'usage: wanbond status [--json]',
);
