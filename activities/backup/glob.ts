// Exclude patterns, as operators write them for tar and restic:
//   *.tmp         any file or directory named like that, at any depth
//   cache/        a directory named cache, at any depth (and everything in it)
//   logs/*.gz     relative to the source root when the pattern contains a "/"
//   /build        anchored at the source root
//   **            any number of directories
// `*` and `?` never match "/"; `[abc]` and `[!abc]` are character classes.

export interface ExcludeMatcher {
  /** relPath: path below the source root, "/"-separated, no leading "/". */
  excluded(relPath: string, isDir: boolean): boolean;
}

function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" anything.
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return re;
}

export function compileExcludes(patterns: readonly string[]): ExcludeMatcher {
  const rules = patterns.map((raw) => {
    const dirOnly = raw.endsWith('/');
    let p = dirOnly ? raw.slice(0, -1) : raw;
    const anchored = p.startsWith('/') || p.includes('/');
    if (p.startsWith('/')) p = p.slice(1);
    const body = globToRegex(p);
    // Unanchored patterns match the last component at any depth.
    const re = new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`);
    return { re, dirOnly };
  });
  return {
    excluded(relPath, isDir) {
      for (const r of rules) if ((!r.dirOnly || isDir) && r.re.test(relPath)) return true;
      return false;
    },
  };
}
