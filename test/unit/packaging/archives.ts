// The tests' own readers for what the packaging scripts write (gzip'd ustar for ipks, `ar` for debs, RFC822
// control text), written apart from scripts/pkg so a bug in the writer cannot hide in a shared reader.

import { gunzipSync } from 'node:zlib';

export interface TarMember {
  name: string;
  type: 'file' | 'dir' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  uname: string;
  data: Buffer;
}

const str = (b: Buffer, off: number, len: number) => {
  const raw = b.subarray(off, off + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? len : nul).toString('utf8');
};
const oct = (b: Buffer, off: number, len: number) => Number.parseInt(str(b, off, len).trim() || '0', 8);

export function untar(buf: Buffer): TarMember[] {
  const out: TarMember[] = [];
  for (let off = 0; off + 512 <= buf.length; ) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== oct(h, 148, 8)) throw new Error(`bad tar checksum at ${off}`);
    if (!str(h, 257, 6).startsWith('ustar')) throw new Error(`no ustar magic at ${off}`);
    const size = oct(h, 124, 12);
    const prefix = str(h, 345, 155);
    const flag = String.fromCharCode(h[156]!);
    out.push({
      name: prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100),
      type: flag === '5' ? 'dir' : flag === '0' || flag === '\0' ? 'file' : 'other',
      mode: oct(h, 100, 8),
      uid: oct(h, 108, 8),
      gid: oct(h, 116, 8),
      mtime: oct(h, 136, 12),
      uname: str(h, 265, 32),
      data: Buffer.from(buf.subarray(off + 512, off + 512 + size)),
    });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export const untgz = (buf: Buffer) => untar(gunzipSync(buf));

export function member(members: TarMember[], name: string): TarMember {
  const m = members.find((x) => x.name === name);
  if (!m) throw new Error(`no member ${name} in [${members.map((x) => x.name).join(', ')}]`);
  return m;
}

/** The members of a Unix `ar` archive (a .deb), in order. */
export function unar(buf: Buffer): { name: string; data: Buffer }[] {
  if (buf.subarray(0, 8).toString('latin1') !== '!<arch>\n') throw new Error('not an ar archive');
  const out: { name: string; data: Buffer }[] = [];
  for (let off = 8; off + 60 <= buf.length; ) {
    const h = buf.subarray(off, off + 60).toString('latin1');
    if (h.slice(58, 60) !== '`\n') throw new Error(`bad ar header at ${off}`);
    const size = Number.parseInt(h.slice(48, 58).trim(), 10);
    out.push({ name: h.slice(0, 16).trim().replace(/\/$/, ''), data: buf.subarray(off + 60, off + 60 + size) });
    off += 60 + size + (size % 2);
  }
  return out;
}

/** RFC822-style control text: fields in order, continuation lines joined with '\n'. */
export function controlFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line)) {
      fields.set(last, `${fields.get(last)}\n${line}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad control line: ${line}`);
    last = line.slice(0, colon);
    if (fields.has(last)) throw new Error(`duplicate field ${last}`);
    fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}
