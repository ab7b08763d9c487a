/**
 * Byte-for-byte checks against every message recorded from a real ubusd and `ubus` CLI. Each test iterates over
 * all files in the vector directory, so another set in the same layout is checked by the same rules.
 */
import { describe, expect, it } from 'vitest';
import {
  type BlobmsgNode,
  decodeMessage,
  encodeMessage,
  eventInvokeMessage,
  eventSendData,
  formatJsonElement,
  formatJsonTable,
  getAttr,
  invokeMessage,
  lookupMessage,
  MessageReader,
  MSG,
  parseJsonTable,
  type UbusMessage,
} from '../../../src/ubus-js/src/index.js';
import {
  attrsToVector,
  fromHex,
  messageFromVector,
  nodeToVector,
  readTranscript,
  readVector,
  toHex,
  VECTOR_DIR,
  vectorFiles,
} from './vector-files.js';

const files = vectorFiles();

describe(`ubus vectors in ${VECTOR_DIR}`, () => {
  it('are present', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: every message decodes to the recorded header, attributes and typed trees', (file) => {
    for (const line of readVector(file)) {
      const msg = decodeMessage(fromHex(line.hex));
      expect(msg.type).toBe(MSG[line.type]);
      expect(msg.seq).toBe(line.seq);
      expect(msg.peer).toBe(Number.parseInt(line.peer, 16));
      expect(attrsToVector(msg.attrs)).toEqual(line.attrs);
      const typed = msg.attrs
        .filter(([n]) => n === 'DATA' || n === 'SIGNATURE')
        .map(([n, v]) => [n, (v as BlobmsgNode[]).map(nodeToVector)]);
      expect(typed).toEqual(line.blobmsg_typed ?? []);
    }
  });

  it.each(files)('%s: every message encodes from its recorded fields to the exact bytes', (file) => {
    for (const line of readVector(file)) {
      expect(toHex(encodeMessage(messageFromVector(line)))).toBe(line.hex);
    }
  });

  it.each(files)('%s: decode then encode round-trips, also when the stream arrives byte by byte', (file) => {
    const lines = readVector(file);
    const stream = Buffer.concat(lines.map((l) => fromHex(l.hex)));
    const reader = new MessageReader();
    const got: Uint8Array[] = [];
    for (const b of stream) got.push(...reader.push(Uint8Array.of(b)));
    expect(got.map(toHex)).toEqual(lines.map((l) => l.hex));
    for (const bytes of got) expect(toHex(encodeMessage(decodeMessage(bytes)))).toBe(toHex(bytes));
  });
});

/** The CLI's INVOKE to look up and call; the messages our client builds for the same command must match. */
function firstSent(lines: UbusMessage[], type: number): UbusMessage | undefined {
  return lines.find((m) => m.type === type);
}

describe('the ubus CLI transcript against our JSON rules and builders', () => {
  const transcript = readTranscript();

  it('is present', () => {
    expect(transcript.length).toBeGreaterThan(0);
  });

  for (const entry of transcript) {
    const file = `${entry.name}.jsonl`;
    if (!files.includes(file)) continue;
    const [, cmd, ...args] = entry.argv.filter((a, i, all) => !(a === '-s' || all[i - 1] === '-s'));
    const lines = readVector(file);
    const sent = lines.filter((l) => l.dir === 'client->ubusd').map((l) => decodeMessage(fromHex(l.hex)));
    const received = lines.filter((l) => l.dir === 'ubusd->client').map((l) => decodeMessage(fromHex(l.hex)));
    const sentHex = lines.filter((l) => l.dir === 'client->ubusd').map((l) => l.hex);

    if (cmd === 'call') {
      const [path, method, json] = args as [string, string, string | undefined];
      it(`${entry.name}: LOOKUP and INVOKE built from "${path} ${method}" and its JSON match the CLI's bytes`, () => {
        expect(sentHex[0]).toBe(toHex(encodeMessage(lookupMessage(1, path))));
        const objStatus = received.find((m) => m.seq === 1 && m.type === MSG.DATA);
        if (!objStatus) return expect(entry.rc).not.toBe(0);
        const objid = getAttr(objStatus, 'OBJID')!;
        const fields = json === undefined ? [] : parseJsonTable(json);
        expect(sentHex[1]).toBe(toHex(encodeMessage(invokeMessage(2, objid, method, fields))));
      });
      it(`${entry.name}: our JSON formatting of the replies equals the CLI's stdout`, () => {
        const replies = received.filter((m) => m.type === MSG.DATA && m.seq === 2);
        const text = replies.map((m) => `${formatJsonTable(getAttr(m, 'DATA')!, { indent: 0 })}\n`).join('');
        expect(text).toBe(entry.stdout);
      });
    } else if (cmd === 'send') {
      const [id, json] = args as [string, string | undefined];
      it(`${entry.name}: the event INVOKE built from "${id}" and its JSON matches the CLI's bytes`, () => {
        const msg = eventInvokeMessage(1, 'send', eventSendData(id, json === undefined ? [] : parseJsonTable(json)));
        expect(sentHex[0]).toBe(toHex(encodeMessage(msg)));
      });
    } else if (cmd === 'listen' || cmd === 'subscribe') {
      it(`${entry.name}: events print like the CLI`, () => {
        const events = received.filter((m) => m.type === MSG.INVOKE);
        const text = events
          .map((m) => `{ "${getAttr(m, 'METHOD')}": ${formatJsonTable(getAttr(m, 'DATA')!)} }\n`)
          .join('');
        expect(text).toBe(entry.stdout);
      });
      if (cmd === 'listen') {
        it(`${entry.name}: the CLI answers an event with STATUS 0 on the event's seq and peer`, () => {
          const ev = received.find((m) => m.type === MSG.INVOKE)!;
          const reply = sent.find((m) => m.type === MSG.STATUS)!;
          expect([reply.seq, reply.peer]).toEqual([ev.seq, ev.peer]);
          expect(getAttr(reply, 'STATUS')).toBe(0);
        });
      }
    } else if (cmd === 'list') {
      it(`${entry.name}: list output formats like the CLI`, () => {
        const verbose = args.includes('-v');
        const objs = received.filter((m) => m.type === MSG.DATA);
        const typeNames: Record<number, string> = { 7: 'Boolean', 5: 'Integer', 3: 'String', 1: 'Array', 2: 'Table' };
        const text = objs
          .map((m) => {
            const path = getAttr(m, 'OBJPATH')!;
            if (!verbose) return `${path}\n`;
            const head = `'${path}' @${getAttr(m, 'OBJID')!.toString(16).padStart(8, '0')}\n`;
            const methods = getAttr(m, 'SIGNATURE')!.map(
              (sig) =>
                `\t${formatJsonElement(sig, {
                  custom: (n) => (n.type === 'INT32' ? `"${typeNames[n.value] ?? '(unknown)'}"` : undefined),
                })}\n`,
            );
            return head + methods.join('');
          })
          .join('');
        expect(text).toBe(entry.stdout);
        expect(firstSent(sent, MSG.LOOKUP)).toBeDefined();
      });
    }
  }
});
