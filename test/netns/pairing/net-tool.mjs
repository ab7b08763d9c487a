// Tiny network probes for the pairing tests, run inside namespaces with the test's own node:
//   node net-tool.mjs udp-echo PORT          answers each datagram with "from <source address>"
//   node net-tool.mjs udp-ask HOST PORT      prints the answer (exit 1 after 3 s without one)
//   node net-tool.mjs tcp-hello PORT NAME    writes "hello from NAME" to each connection
//   node net-tool.mjs tcp-ask HOST PORT      prints what the server wrote (exit 1 on error / 3 s timeout)
import dgram from 'node:dgram';
import net from 'node:net';

const [mode, a, b] = process.argv.slice(2);
const fail = (msg) => {
  process.stderr.write(`${msg}\n`);
  process.exit(1);
};
setTimeout(() => {
  if (mode.endsWith('-ask')) fail('timeout');
}, 3000).unref();

if (mode === 'udp-echo') {
  const s = dgram.createSocket('udp4');
  s.on('message', (_msg, rinfo) => s.send(`from ${rinfo.address}`, rinfo.port, rinfo.address));
  s.bind(Number(a), () => console.log('listening'));
} else if (mode === 'udp-ask') {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg) => {
    console.log(msg.toString());
    process.exit(0);
  });
  s.send('who am i', Number(b), a);
} else if (mode === 'tcp-hello') {
  net.createServer((c) => c.end(`hello from ${b}`)).listen(Number(a), () => console.log('listening'));
} else if (mode === 'tcp-ask') {
  let got = '';
  const c = net.connect(Number(b), a);
  c.setEncoding('utf8');
  c.on('data', (d) => {
    got += d;
  });
  c.on('end', () => {
    console.log(got);
    process.exit(0);
  });
  c.on('error', (err) => fail(err.message));
} else fail(`unknown mode ${mode}`);
