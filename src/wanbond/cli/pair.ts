import { type Command, notImplemented } from './command.js';

export const pair: Command = notImplemented(
  'pair',
  'add a router to this server and print its pairing line',
  'usage: wanbond pair NAME [--lan CIDR]',
);
