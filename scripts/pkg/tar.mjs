// A small POSIX ustar writer and reader: the only archive format opkg reads (ipk outer container, control and
// data), written deterministically (owner 0:0 with no names, like `tar --numeric-owner`, one fixed mtime).

const BLOCK = 512;
// GNU tar pads an archive to a 10 KiB record; Installed-Size is counted on that padded stream, as ipkg-build does.
const RECORD = 20 * BLOCK;

/**
 * @typedef {{ name: string, type: 'file' | 'dir', mode: number, data?: Buffer }} TarEntry
 */

function octal(value, width) {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar: value ${value} does not fit in ${width - 1} octal digits`);
  return `${digits.padStart(width - 1, '0')}\0`;
}

/** ustar keeps names in two fields: `prefix` (155) + '/' + `name` (100). */
function splitName(path) {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  const trail = path.endsWith('/') ? 1 : 0;
  for (let i = path.length - 1 - trail; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name };
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(entry, size, mtime) {
  const h = Buffer.alloc(BLOCK);
  const { prefix, name } = splitName(entry.name);
  h.write(name, 0, 100);
  h.write(octal(entry.mode & 0o7777, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(mtime, 12), 136);
  h.write(' '.repeat(8), 148);
  h.write(entry.type === 'dir' ? '5' : '0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(octal(0, 8), 329);
  h.write(octal(0, 8), 337);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/**
 * Writes the entries in the order given (callers sort them, like `tar --sort=name`).
 * @param {TarEntry[]} entries
 * @param {number} mtime seconds since the epoch, the same for every entry
 * @returns {Buffer}
 */
export function writeTar(entries, mtime) {
  const parts = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(entry, data.length, mtime), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  let out = Buffer.concat(parts);
  const tail = (RECORD - (out.length % RECORD)) % RECORD;
  if (tail) out = Buffer.concat([out, Buffer.alloc(tail)]);
  return out;
}

function field(h, start, length) {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/**
 * Reads a ustar/GNU tar stream (regular files and directories) back into entries.
 * @param {Buffer} buf
 * @returns {TarEntry[]}
 */
export function readTar(buf) {
  const out = [];
  let off = 0;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    if (!field(h, 257, 6).startsWith('ustar')) throw new Error(`tar: no ustar header at offset ${off}`);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== Number.parseInt(field(h, 148, 8).trim(), 8)) throw new Error(`tar: bad header checksum at ${off}`);
    const prefix = field(h, 345, 155);
    const name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    const size = Number.parseInt(field(h, 124, 12).trim() || '0', 8);
    const typeflag = String.fromCharCode(h[156]);
    const mode = Number.parseInt(field(h, 100, 8).trim(), 8);
    const data = buf.subarray(off + BLOCK, off + BLOCK + size);
    if (typeflag === '5') out.push({ name, type: 'dir', mode });
    else if (typeflag === '0' || typeflag === '\0') out.push({ name, type: 'file', mode, data: Buffer.from(data) });
    else throw new Error(`tar: unsupported entry type '${typeflag}' for ${name}`);
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

/**
 * Every directory on the way to each file, as entries of their own (`./`, `./usr/`, `./usr/bin/`, ...), sorted
 * by name like `tar --sort=name` over a staged tree.
 * @param {{ path: string, mode: number, data: Buffer }[]} files absolute target paths (`/usr/bin/wanbond`)
 * @returns {TarEntry[]}
 */
export function treeEntries(files) {
  const dirs = new Set(['./']);
  const entries = [];
  for (const f of files) {
    if (!f.path.startsWith('/')) throw new Error(`tar: target path must be absolute: ${f.path}`);
    const parts = f.path.slice(1).split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(`./${parts.slice(0, i).join('/')}/`);
    entries.push({ name: `.${f.path}`, type: 'file', mode: f.mode, data: f.data });
  }
  for (const d of dirs) entries.push({ name: d, type: 'dir', mode: 0o755 });
  // GNU tar --sort=name orders a directory's members by name while it walks the tree: compare path components.
  const key = (e) => e.name.replace(/\/$/, '').split('/');
  entries.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    }
    return ka.length - kb.length;
  });
  return entries;
}
