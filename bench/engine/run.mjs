#!/usr/bin/env node
// Engine hot-path benchmark, one process, no sockets: (1) AEAD seal+open of 1400-byte packets through the
// engine's batch interface; (2) the full engine pipeline router -> server (TUN packet in, datagram out, datagram in,
// packet delivered, acks back). Usage: node bench/engine/run.mjs [seconds per case, default 3]. Prints JSON.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const seconds = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
const out = join(dir, 'engine.mjs');
const entry = join(dir, 'entry.ts');
const { writeFileSync } = await import('node:fs');
writeFileSync(
  entry,
  `export * from ${JSON.stringify(join(root, 'src/wanbond/engine/index.ts'))};
   export { keyFromPrivate } from ${JSON.stringify(join(root, 'src/wanbond/engine/noise.ts'))};`,
);
await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'warning' });
const engine = await import(pathToFileURL(out).href);
rmSync(dir, { recursive: true, force: true });

const SIZE = 1400;
// Per CPU second as well: on a shared machine wall-clock rates move with the neighbours' load.
const cpuSeconds = (since) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};
const results = { node: process.version, packetBytes: SIZE, overheadBytes: engine.DATA_OVERHEAD };

// (1) seal + open through the Aead interface, batches of 32.
{
  const aead = new engine.NodeAead();
  const key = randomBytes(32);
  const batch = Array.from({ length: 32 }, (_, i) => ({
    key,
    pathId: 0,
    pn: i,
    buf: Buffer.alloc(10 + 4 + SIZE + 16),
    aadLen: 10,
    ptLen: 4 + SIZE,
  }));
  let n = 0;
  let pn = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (const j of batch) j.pn = pn++;
    aead.sealBatch(batch, batch.length);
    for (const j of batch) if (!aead.open(key, 0, j.pn, j.buf, 10, j.buf.length)) throw new Error('open failed');
    n += batch.length;
  }
  const s = (performance.now() - t0) / 1000;
  results.sealOpenPerSecond = Math.round(n / s);
  results.sealOpenPerCpuSecond = Math.round(n / cpuSeconds(c0));
  results.sealOpenMbit = Math.round((n * SIZE * 8) / s / 1e6);
}

// (2) full pipeline: router engine -> server engine, acks flowing back, on one path.
{
  const ck = randomBytes(32);
  const sk = randomBytes(32);
  const clientPub = engine.keyFromPrivate(ck).publicKey;
  const serverPub = engine.keyFromPrivate(sk).publicKey;
  const now = () => performance.now();
  const client = engine.createClientEngine({
    privateKey: ck,
    serverPublicKey: serverPub,
    paths: [{ id: 0, name: 'wan' }],
    mode: 'bond',
    now: now(),
  });
  const server = engine.createServerEngine({
    privateKey: sk,
    clients: [{ name: 'r', publicKey: clientPub, addresses: ['10.255.0.2'], routes: [] }],
    now: now(),
  });
  const pkt = Buffer.alloc(SIZE);
  pkt[0] = 0x45;
  pkt.writeUInt16BE(SIZE, 2);
  pkt.set([10, 255, 0, 2], 12);
  pkt.set([192, 0, 2, 1], 16);
  const pump = () => {
    let moved = true;
    while (moved) {
      moved = false;
      for (let t = client.pollTransmit(); t; t = client.pollTransmit()) {
        server.onDatagram('192.0.2.9:5555', t.bytes, now());
        moved = true;
      }
      for (let t = server.pollTransmit(); t; t = server.pollTransmit()) {
        client.onDatagram(0, t.bytes, now());
        moved = true;
      }
      const ct = client.nextTimer();
      if (ct !== undefined && ct <= now()) client.onTimer(now());
      const st = server.nextTimer();
      if (st !== undefined && st <= now()) server.onTimer(now());
    }
  };
  const t00 = now();
  while (client.stats().paths[0].state !== 'up' && now() - t00 < 2000) pump();
  let delivered = 0;
  const c0 = process.cpuUsage();
  const t0 = now();
  while (now() - t0 < seconds * 1000) {
    for (let i = 0; i < 32; i++) client.onTunPacket(pkt, now());
    pump();
    for (let p = server.pollDeliver(); p; p = server.pollDeliver()) delivered++;
  }
  const s = (now() - t0) / 1000;
  results.pipelinePacketsPerSecond = Math.round(delivered / s);
  results.pipelinePacketsPerCpuSecond = Math.round(delivered / cpuSeconds(c0));
  results.pipelineMbit = Math.round((delivered * SIZE * 8) / s / 1e6);
  results.pipelineQueueDropped = client.stats().queueDropped;
  results.pipelineNote = 'both engines in one process on one core: each packet is sealed once and opened once';
}

console.log(JSON.stringify(results, null, 2));
