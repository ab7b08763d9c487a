import { afterEach, describe, expect, it } from 'vitest';
import { LinkSocket } from '../../../src/wanbond/io/udp-link.js';
import { ServerSocket } from '../../../src/wanbond/io/udp-server.js';

const open: Array<{ close(): void }> = [];
const failOnError = (err: Error) => expect.fail(err.message);
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function nextMessage<T>(arr: T[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (arr.length > 0) resolve(arr.shift() as T);
      else if (Date.now() - started > 2000) reject(new Error('no datagram within 2 s'));
      else setTimeout(poll, 2);
    };
    poll();
  });
}

describe('UDP sockets (loopback)', () => {
  it('a link bound to its source reaches the dual-stack server, which names and answers it', async () => {
    const atServer: Array<{ from: string; bytes: Buffer }> = [];
    const server = new ServerSocket('::', 0, (from, bytes) => atServer.push({ from, bytes }), failOnError);
    await server.open();
    open.push(server);
    const atLink: Buffer[] = [];
    const link = new LinkSocket(4, '127.0.0.1', (b) => atLink.push(b), failOnError);
    await link.open();
    open.push(link);

    link.send(Buffer.from('hello'), '127.0.0.1', server.boundPort as number);
    const got = await nextMessage(atServer);
    expect(got.from).toBe(`127.0.0.1:${link.port}`);
    expect(got.bytes.toString()).toBe('hello');

    server.send(got.from, Buffer.from('welcome'));
    expect((await nextMessage(atLink)).toString()).toBe('welcome');
  });

  it('serves IPv6 links on the same socket', async () => {
    const atServer: Array<{ from: string; bytes: Buffer }> = [];
    const server = new ServerSocket('::', 0, (from, bytes) => atServer.push({ from, bytes }), failOnError);
    await server.open();
    open.push(server);
    const link = new LinkSocket(6, '::1', () => {}, failOnError);
    await link.open();
    open.push(link);
    link.send(Buffer.from('v6'), '::1', server.boundPort as number);
    expect((await nextMessage(atServer)).from).toBe(`[::1]:${link.port}`);
  });

  it('a source the host does not have fails to bind and leaves the link closed', async () => {
    const link = new LinkSocket(
      4,
      '192.0.2.77',
      () => {},
      () => {},
    );
    await expect(link.open()).rejects.toThrow(/EADDRNOTAVAIL/);
    expect(link.isOpen).toBe(false);
    expect(link.send(Buffer.from('x'), '127.0.0.1', 9)).toBe(false);
  });

  it('rejects a source of the wrong family and a listen address that is not an IP', async () => {
    expect(
      () =>
        new LinkSocket(
          6,
          '127.0.0.1',
          () => {},
          () => {},
        ),
    ).toThrow(/not IPv6/);
    const server = new ServerSocket(
      'vps.example',
      0,
      () => {},
      () => {},
    );
    await expect(server.open()).rejects.toThrow(/not an IP address/);
  });
});
