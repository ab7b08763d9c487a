import { type Command, notImplemented } from './command.js';

export const router: Command = notImplemented(
  'router',
  'run the router daemon in the foreground',
  'usage: wanbond router -c FILE [--ubus-socket PATH]',
);
