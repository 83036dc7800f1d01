// The tar format, ustar with pax extended headers where a field does not fit (long or non-ASCII
// names, files of 8 GiB and more). GNU tar reads and writes both. The parser also understands
// GNU long-name records, so archives made with GNU tar can be read (and refused) too.
// Over 400 lines on purpose: the encoder and the parser of one format, which must agree.

export const BLOCK = 512;
export const ZERO_BLOCK = Buffer.alloc(BLOCK);
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface TarEntry {
  path: string;
  type: EntryType;
  /** The raw type flag, for messages about unsupported entries. */
  flag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkpath: string;
  uname: string;
  gname: string;
}

const TYPE_FLAGS: Record<Exclude<EntryType, 'other'>, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

function flagToType(flag: string): EntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7': // contiguous file: a regular file
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
      return 'dir';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

// ---------------------------------------------------------------- writing

const MAX_OCTAL_11 = 0o77777777777; // 8 GiB - 1
const MAX_OCTAL_7 = 0o7777777;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

function writeOctal(buf: Buffer, offset: number, width: number, value: number): void {
  // width includes the terminating NUL
  buf.write(value.toString(8).padStart(width - 1, '0'), offset, width - 1, 'ascii');
  buf[offset + width - 1] = 0;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Splits an ASCII path into ustar prefix (<=155) and name (<=100), if possible. */
function splitUstar(p: string): { prefix: string; name: string } | undefined {
  if (p.length <= 100) return { prefix: '', name: p };
  if (p.length > 256) return undefined;
  for (let i = p.length - 1; i > 0; i--) {
    if (p[i] !== '/') continue;
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { prefix, name };
    if (prefix.length < p.length - 101) break;
  }
  return undefined;
}

function rawHeader(
  e: TarEntry,
  name: string,
  prefix: string,
  linkname: string,
  size: number,
  flag: string,
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  writeOctal(h, 100, 8, e.mode & 0o7777);
  writeOctal(h, 108, 8, e.uid <= MAX_OCTAL_7 && e.uid >= 0 ? e.uid : 0);
  writeOctal(h, 116, 8, e.gid <= MAX_OCTAL_7 && e.gid >= 0 ? e.gid : 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, Math.min(Math.max(0, Math.floor(e.mtime)), MAX_OCTAL_11));
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder
  h.write(flag, 156, 1, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'ascii');
  if (isAscii(e.uname) && e.uname.length <= 31) h.write(e.uname, 265, 32, 'ascii');
  if (isAscii(e.gname) && e.gname.length <= 31) h.write(e.gname, 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii');
  h[154] = 0;
  h[155] = 0x20;
  return h;
}

/** Header block(s) for one entry: a pax header first when some field needs it. */
export function encodeHeader(e: TarEntry): Buffer {
  const size = e.type === 'file' ? e.size : 0;
  const flag = e.type === 'other' ? e.flag : TYPE_FLAGS[e.type];
  const pax: string[] = [];
  let name = e.path;
  let prefix = '';
  const split = isAscii(e.path)
    ? splitUstar(e.path)
    : Buffer.byteLength(e.path) <= 100
      ? { prefix: '', name: e.path }
      : undefined;
  if (split) {
    name = split.name;
    prefix = split.prefix;
  } else {
    pax.push(paxRecord('path', e.path));
    name = truncateUtf8(e.path, 100);
  }
  let linkname = e.linkpath;
  if (Buffer.byteLength(linkname) > 100) {
    pax.push(paxRecord('linkpath', linkname));
    linkname = truncateUtf8(linkname, 100);
  }
  if (size > MAX_OCTAL_11) pax.push(paxRecord('size', String(size)));
  if (e.mtime < 0 || e.mtime > MAX_OCTAL_11) pax.push(paxRecord('mtime', String(Math.floor(e.mtime))));
  if (e.uid > MAX_OCTAL_7) pax.push(paxRecord('uid', String(e.uid)));
  if (e.gid > MAX_OCTAL_7) pax.push(paxRecord('gid', String(e.gid)));
  const main = rawHeader(e, name, prefix, linkname, size > MAX_OCTAL_11 ? 0 : size, flag);
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.join(''), 'utf8');
  const paxEntry: TarEntry = { ...e, type: 'other', flag: 'x', size: body.length, mode: 0o644, linkpath: '' };
  const paxName = truncateUtf8(`PaxHeaders/${lastComponent(e.path)}`, 100);
  const paxHeader = rawHeader(
    paxEntry,
    isAscii(paxName) ? paxName : 'PaxHeaders/entry',
    '',
    '',
    body.length,
    'x',
  );
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), main]);
}

function lastComponent(p: string): string {
  const trimmed = p.endsWith('/') ? p.slice(0, -1) : p;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || 'entry';
}

function truncateUtf8(s: string, bytes: number): string {
  let out = s;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

// ---------------------------------------------------------------- reading

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

function readString(buf: Buffer, offset: number, len: number): string {
  let end = offset;
  while (end < offset + len && buf[end] !== 0) end++;
  return buf.toString('utf8', offset, end);
}

function readNumber(buf: Buffer, offset: number, len: number, field: string): number {
  if (buf[offset]! & 0x80) {
    // GNU base-256: big-endian two's complement in the remaining bytes.
    let v = 0;
    for (let i = offset + 1; i < offset + len; i++) v = v * 256 + buf[i]!;
    if (buf[offset]! & 0x40) throw new TarFormatError(`negative ${field} in a tar header`);
    return v + (buf[offset]! & 0x3f) * 256 ** (len - 1);
  }
  // Octal digits, optionally surrounded by spaces and ended by NULs or spaces.
  let i = offset;
  const end = offset + len;
  while (i < end && buf[i] === 0x20) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x37) v = v * 8 + (c - 0x30);
    else break;
  }
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c !== 0 && c !== 0x20) {
      const s = buf.toString('ascii', offset, end).replace(/[\0 ]+$/, '');
      throw new TarFormatError(`bad ${field} field "${s.trim()}" in a tar header`);
    }
  }
  return v;
}

function checksumOk(h: Buffer): boolean {
  const stored = readNumber(h, 148, 8, 'checksum');
  let unsigned = 8 * 0x20; // the checksum field itself counts as spaces
  for (let i = 0; i < 148; i++) unsigned += h[i]!;
  for (let i = 156; i < BLOCK; i++) unsigned += h[i]!;
  if (stored === unsigned) return true;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = h[i]!;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === signed;
}

/** An all-zero block (the end-of-archive marker). */
function isZeroBlock(h: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = Number(body.toString('ascii', pos, sp));
    if (!Number.isInteger(len) || len <= 0 || pos + len > body.length)
      throw new TarFormatError('malformed pax record');
    const rec = body.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

export interface TarHandler {
  /** A new entry; its data (for files) follows through data() and then end(). */
  entry(e: TarEntry): void;
  data(chunk: Buffer): void;
  end(): void;
}

const MAX_META_BYTES = 1 << 20; // pax / long-name records larger than this are hostile

/**
 * Incremental tar parser: feed it chunks in order, it calls the handler synchronously.
 * Throws TarFormatError on a corrupt or truncated archive.
 */
export class TarParser {
  private pending: Buffer = Buffer.alloc(0);
  private state: 'header' | 'data' | 'padding' | 'meta' | 'done' = 'header';
  private remaining = 0;
  private pad = 0;
  private zeroBlocks = 0;
  private metaKind = '';
  private meta: Buffer[] = [];
  private metaSize = 0;
  private pax: Record<string, string> = {};
  private longName: string | undefined;
  private longLink: string | undefined;
  entries = 0;

  constructor(private readonly handler: TarHandler) {}

  get finished(): boolean {
    return this.state === 'done';
  }

  write(chunk: Buffer): void {
    const buf = chunk;
    let pos = 0;
    if (this.pending.length) {
      // Complete the split header with just the bytes it needs (never copy the whole chunk).
      const need = BLOCK - this.pending.length;
      if (chunk.length < need) {
        this.pending = Buffer.concat([this.pending, chunk]);
        return;
      }
      const h = Buffer.concat([this.pending, chunk.subarray(0, need)]);
      this.pending = Buffer.alloc(0);
      pos = need;
      this.header(h);
    }
    while (pos < buf.length) {
      if (this.state === 'done') return; // trailing zeros after the end marker
      if (this.state === 'data' || this.state === 'meta') {
        const n = Math.min(this.remaining, buf.length - pos);
        const part = buf.subarray(pos, pos + n);
        if (this.state === 'data') this.handler.data(part);
        else this.meta.push(Buffer.from(part));
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          if (this.state === 'data') this.handler.end();
          else this.finishMeta();
          this.state = this.pad > 0 ? 'padding' : 'header';
        }
        continue;
      }
      if (this.state === 'padding') {
        const n = Math.min(this.pad, buf.length - pos);
        pos += n;
        this.pad -= n;
        if (this.pad === 0) this.state = 'header';
        continue;
      }
      // header
      if (buf.length - pos < BLOCK) {
        this.pending = Buffer.from(buf.subarray(pos));
        return;
      }
      const h = buf.subarray(pos, pos + BLOCK);
      pos += BLOCK;
      this.header(h);
    }
  }

  /** Call after the last chunk. */
  finish(): void {
    if (this.state === 'done') return;
    if (this.state !== 'header' || this.pending.length)
      throw new TarFormatError('archive is truncated in the middle of an entry');
    // One zero block instead of two: accepted, as GNU tar does.
    if (this.zeroBlocks === 0) {
      throw new TarFormatError(
        this.entries ? 'archive ends without its end-of-archive marker (truncated?)' : 'empty archive',
      );
    }
  }

  private header(h: Buffer): void {
    if (isZeroBlock(h)) {
      this.zeroBlocks++;
      if (this.zeroBlocks === 2) this.state = 'done';
      return;
    }
    if (this.zeroBlocks) throw new TarFormatError('data after an empty block');
    if (!checksumOk(h)) throw new TarFormatError('tar header checksum mismatch (corrupt archive)');
    const flag = String.fromCharCode(h[156]!);
    const size = readNumber(h, 124, 12, 'size');
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_META_BYTES) throw new TarFormatError(`oversized ${flag} header record (${size} bytes)`);
      this.metaKind = flag;
      this.meta = [];
      this.metaSize = size;
      this.remaining = size;
      this.pad = padding(size);
      this.state = size > 0 ? 'meta' : 'header';
      if (size === 0) this.finishMeta();
      return;
    }
    const magic = h.toString('ascii', 257, 262);
    const prefix = magic === 'ustar' && h[262] === 0 ? readString(h, 345, 155) : '';
    let path = readString(h, 0, 100);
    if (prefix) path = `${prefix}/${path}`;
    let linkpath = readString(h, 157, 100);
    if (this.longName !== undefined) path = this.longName;
    if (this.longLink !== undefined) linkpath = this.longLink;
    if (this.pax.path !== undefined) path = this.pax.path;
    if (this.pax.linkpath !== undefined) linkpath = this.pax.linkpath;
    const type = flagToType(flag);
    const entry: TarEntry = {
      path,
      type,
      flag,
      mode: readNumber(h, 100, 8, 'mode'),
      uid: this.pax.uid !== undefined ? Number(this.pax.uid) : readNumber(h, 108, 8, 'uid'),
      gid: this.pax.gid !== undefined ? Number(this.pax.gid) : readNumber(h, 116, 8, 'gid'),
      size: this.pax.size !== undefined ? Number(this.pax.size) : size,
      mtime:
        this.pax.mtime !== undefined ? Math.floor(Number(this.pax.mtime)) : readNumber(h, 136, 12, 'mtime'),
      linkpath,
      uname: readString(h, 265, 32),
      gname: readString(h, 297, 32),
    };
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new TarFormatError(`bad size for ${path}`);
    this.pax = {};
    this.longName = undefined;
    this.longLink = undefined;
    this.entries++;
    // Only regular files carry data; a size on anything else is skipped (hard links, dirs).
    const dataSize = type === 'file' || type === 'other' ? entry.size : 0;
    this.handler.entry(entry);
    if (dataSize > 0) {
      this.remaining = dataSize;
      this.pad = padding(dataSize);
      this.state = 'data';
    } else {
      if (type === 'file') this.handler.end();
      this.state = 'header';
      // Some writers store a size for links/dirs; their data is skipped.
      if (type !== 'file' && entry.size > 0 && type !== 'hardlink') {
        this.pad = entry.size + padding(entry.size);
        this.state = 'padding';
      }
    }
  }

  private finishMeta(): void {
    const body = Buffer.concat(this.meta, this.metaSize);
    this.meta = [];
    if (this.metaKind === 'x') Object.assign(this.pax, parsePax(body));
    else if (this.metaKind === 'L') this.longName = readString(body, 0, body.length);
    else if (this.metaKind === 'K') this.longLink = readString(body, 0, body.length);
    // 'g' (global pax) carries nothing we use.
  }
}
