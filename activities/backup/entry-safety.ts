// What an archive entry may be called and what it must be: a normalised relative path (never
// absolute, never "..") — and the two ways an archive is refused, hostile or not the backup.

export class HostileEntry extends Error {
  override name = 'HostileEntry';
}

export class ContentMismatch extends Error {
  override name = 'ContentMismatch';
}

/** NUL, "." or ".." segments, empty segments, a trailing slash. */
const NOT_NORMAL = /\0|(^|\/)\.{1,2}(\/|$)|\/\/|\/$/;

/** Normalises a tar entry name to a relative path, or explains why it is refused. */
export function safeRelative(name: string, what = 'entry'): string {
  // Already normal (what our own archives hold): nothing to do.
  if (name !== '' && name[0] !== '/' && !NOT_NORMAL.test(name)) return name;
  if (name.includes('\0')) throw new HostileEntry(`${what} "${name}" contains a NUL byte`);
  if (name.startsWith('/')) throw new HostileEntry(`${what} "${name}" is an absolute path`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..')
      throw new HostileEntry(`${what} "${name}" contains ".." and would land outside the target`);
    parts.push(part);
  }
  if (parts.length === 0) throw new HostileEntry(`${what} "${name}" has an empty path`);
  return parts.join('/');
}
