// TCP test peer for the tunnel tests, run inside a namespace with plain node.
//   node tcp-tool.mjs serve PORT           answers requests until killed; prints "listening PORT"
//   node tcp-tool.mjs up HOST PORT BYTES [MBIT]    sends BYTES (paced to MBIT if given); prints a JSON result
//   node tcp-tool.mjs down HOST PORT BYTES [MBIT]  receives BYTES from the server; prints a JSON result
//   node tcp-tool.mjs who HOST PORT       prints the address the server saw us come from
// Payload is an AES-CTR keystream (fast, incompressible); each side hashes what it sent or received, and the
// receiver reports the longest gap between arriving chunks (the stall a link cut causes).
import { createCipheriv, createHash } from 'node:crypto';
import { createConnection, createServer } from 'node:net';

const CHUNK = 64 * 1024;

function keystream() {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(CHUNK);
  return () => cipher.update(zeros);
}

/** Writes `bytes` of keystream, at most `mbit` Mbit/s if given; resolves with the sha256 of what was written. */
async function sendStream(socket, bytes, mbit) {
  const next = keystream();
  const hash = createHash('sha256');
  const started = performance.now();
  let sent = 0;
  while (sent < bytes) {
    let chunk = next();
    if (bytes - sent < chunk.length) chunk = chunk.subarray(0, bytes - sent);
    hash.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
    if (mbit) {
      const due = started + (sent * 8) / (mbit * 1000);
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return hash.digest('hex');
}

/** Counts, hashes and times incoming data until `bytes` arrived or the stream ended. */
function receiveStream(socket, bytes, first = Buffer.alloc(0)) {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let got = 0;
    let last = performance.now();
    const started = last;
    let maxGapMs = 0;
    const take = (data) => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      const part = data.subarray(0, Math.max(0, bytes - got));
      hash.update(part);
      got += part.length;
      if (got >= bytes) finish();
    };
    const finish = () => {
      socket.off('data', take);
      const seconds = (performance.now() - started) / 1000;
      resolve({ bytes: got, sha256: hash.digest('hex'), maxGapMs: Math.round(maxGapMs), seconds });
    };
    if (first.length > 0) take(first);
    if (got < bytes) {
      socket.on('data', take);
      socket.on('end', () => got < bytes && finish());
      socket.on('error', () => got < bytes && finish());
    }
  });
}

function serve(port) {
  const server = createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = async (data) => {
      head = Buffer.concat([head, data]);
      const nl = head.indexOf(10);
      if (nl < 0) return;
      socket.off('data', onData);
      const [cmd, n, mbit] = head.subarray(0, nl).toString().split(' ');
      const rest = head.subarray(nl + 1);
      const peer = socket.remoteAddress?.replace(/^::ffff:/, '');
      if (cmd === 'WHO') {
        socket.end(`${JSON.stringify({ peer })}\n`);
      } else if (cmd === 'UP') {
        const result = await receiveStream(socket, Number(n), rest);
        socket.end(`${JSON.stringify({ peer, ...result })}\n`);
      } else if (cmd === 'DOWN') {
        const sha256 = await sendStream(socket, Number(n), Number(mbit) || 0);
        socket.end();
        process.stdout.write(`${JSON.stringify({ peer, sent: Number(n), sha256 })}\n`);
      } else {
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  server.listen(port, () => process.stdout.write(`listening ${port}\n`));
}

function connect(host, port) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port }, () => resolve(socket));
    socket.once('error', reject);
    socket.setTimeout(30_000, () => socket.destroy(new Error('timeout')));
  });
}

function readAll(socket) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

async function main() {
  const [cmd, a, b, c, d] = process.argv.slice(2);
  if (cmd === 'serve') return serve(Number(a));
  const socket = await connect(a, Number(b));
  if (cmd === 'who') {
    socket.write('WHO\n');
    process.stdout.write(await readAll(socket));
  } else if (cmd === 'up') {
    const reply = readAll(socket);
    socket.write(`UP ${c}\n`);
    const sha256 = await sendStream(socket, Number(c), Number(d) || 0);
    socket.end();
    const server = JSON.parse(await reply);
    process.stdout.write(`${JSON.stringify({ sent: Number(c), sha256, server })}\n`);
  } else if (cmd === 'down') {
    socket.write(`DOWN ${c} ${d ?? 0}\n`);
    const result = await receiveStream(socket, Number(c));
    socket.destroy();
    process.stdout.write(`${JSON.stringify({ ...result, expected: await expectedHash(Number(c)) })}\n`);
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
}

/** The hash the sender computes for `bytes` of keystream, so a download can be checked without the server's word. */
async function expectedHash(bytes) {
  const next = keystream();
  const hash = createHash('sha256');
  for (let done = 0; done < bytes; ) {
    const chunk = next().subarray(0, Math.min(CHUNK, bytes - done));
    hash.update(chunk);
    done += chunk.length;
  }
  return hash.digest('hex');
}

main().catch((err) => {
  process.stderr.write(`tcp-tool: ${err.message}\n`);
  process.exit(1);
});
