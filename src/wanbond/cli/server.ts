import { type Command, notImplemented } from './command.js';

export const server: Command = notImplemented(
  'server',
  'run the VPS daemon in the foreground',
  'usage: wanbond server -c FILE',
);
