import { type Command, notImplemented } from './command.js';

export const join: Command = notImplemented(
  'join',
  'configure this router from a pairing line',
  'usage: wanbond join LINE',
);
