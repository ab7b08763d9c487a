import { type Command, notImplemented } from './command.js';

export const lab: Command = notImplemented(
  'lab',
  'userspace link emulator and namespace lab',
  'usage: wanbond lab up|down|demo ...',
);
