import { type Command, notImplemented } from './command.js';

export const speedtest: Command = notImplemented(
  'speedtest',
  'measure each link and the bonded tunnel',
  'usage: wanbond speedtest [--link NAME]',
);
