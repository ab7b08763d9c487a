import { generatePrivateKey, publicKeyOf } from '../engine/keys.js';
import { type Command, wantsHelp } from './command.js';

export const keygen: Command = {
  name: 'keygen',
  summary: 'print a new base64 X25519 private key',
  usage: 'usage: wanbond keygen\n\nPrints a new private key (base64, 32 bytes) on stdout, like `wg genkey`.',
  async run(args, io) {
    if (wantsHelp(args)) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    io.stdout(`${generatePrivateKey()}\n`);
    return 0;
  },
};

export const pubkey: Command = {
  name: 'pubkey',
  summary: 'read a private key on stdin, print its public key',
  usage:
    'usage: wanbond pubkey < private.key\n\nReads a base64 private key on stdin and prints the public key, like `wg pubkey`.',
  async run(args, io) {
    if (wantsHelp(args)) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    const input = (await io.readStdin()).trim();
    try {
      io.stdout(`${publicKeyOf(input)}\n`);
      return 0;
    } catch (err) {
      io.stderr(`wanbond pubkey: ${(err as Error).message}\n`);
      return 1;
    }
  },
};
