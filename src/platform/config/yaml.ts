// YAML with source positions. js-yaml's event stream carries byte offsets; we walk it once to
// remember where every key and value sits, then build the plain value from the same events.
import { constructFromEvents, EVENT_ID, getScalarValue, parseEvents, YAMLException } from 'js-yaml';
import type { Event } from 'js-yaml';

export interface Position {
  line: number; // 1-based
  col: number; // 1-based
}

export type PathSegment = string | number;

export interface NodePositions {
  /** Where the value starts. */
  value: Position;
  /** Where its key starts, for mapping entries. */
  key?: Position;
}

export interface ParsedYaml {
  value: unknown;
  /**
   * Keyed by pathKey(path). Built on first use: only an error message needs a position, and a
   * fleet's config has tens of thousands of nodes.
   */
  readonly positions: Map<string, NodePositions>;
}

export class YamlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: Position,
  ) {
    super(reason);
    this.name = 'YamlSyntaxError';
  }
}

export function pathKey(path: readonly PathSegment[]): string {
  return JSON.stringify(path);
}

/** Renders a path the way the error lines print it: `backups[0].retention.keepDaily`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

class LineIndex {
  private readonly starts: number[] = [0];
  constructor(source: string) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  at(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1 };
  }
}

interface Frame {
  kind: 'map' | 'seq';
  path: PathSegment[];
  index: number; // next sequence index, or count of mapping children seen
  key?: PathSegment;
  keyPos?: Position;
}

function startOffset(e: Event, source: string): number {
  // Anchors and tags are reported just after their "&" / "!".
  const marks = (anchor: number, tag: number): number[] =>
    [anchor >= 0 ? anchor - 1 : -1, tag >= 0 && source[tag] !== '!' ? tag - 1 : tag].filter((n) => n >= 0);
  switch (e.type) {
    case EVENT_ID.SEQUENCE:
    case EVENT_ID.MAPPING:
      return Math.min(...marks(e.anchorStart, e.tagStart), e.start);
    case EVENT_ID.SCALAR: {
      let start = e.valueStart;
      // Quoted scalars start at the quote; block scalars at their "|" or ">" indicator.
      if (e.style === 2 || e.style === 3) start -= 1;
      else if (e.style === 4 || e.style === 5) {
        const before = source.slice(0, e.valueStart);
        start = Math.max(before.lastIndexOf('|'), before.lastIndexOf('>'), 0);
      }
      return Math.max(0, Math.min(...marks(e.anchorStart, e.tagStart), start));
    }
    case EVENT_ID.ALIAS:
      return Math.max(0, e.anchorStart - 1);
    default:
      return 0;
  }
}

/**
 * Parses one YAML document. Throws YamlSyntaxError (with a 1-based position) on bad YAML,
 * duplicate keys, or more than one document.
 */
export function parseYamlWithPositions(source: string, filename?: string): ParsedYaml {
  const lines = new LineIndex(source);
  let events: Event[];
  let docs: unknown[];
  try {
    events = parseEvents(source, { filename: filename ?? '' });
    docs = constructFromEvents(events, { source, filename: filename ?? '', maxAliases: 100 });
  } catch (err) {
    if (err instanceof YAMLException) {
      const mark = err.mark;
      throw new YamlSyntaxError(
        err.reason,
        mark ? { line: mark.line + 1, col: mark.column + 1 } : { line: 1, col: 1 },
      );
    }
    throw err;
  }
  if (docs.length > 1) {
    // Find the second document marker for a useful position.
    let count = 0;
    let pos: Position = { line: 1, col: 1 };
    for (const e of events) {
      if (e.type === EVENT_ID.DOCUMENT && ++count === 2) break;
      if (count === 1 && e.type !== EVENT_ID.DOCUMENT && e.type !== EVENT_ID.POP)
        pos = lines.at(startOffset(e, source));
    }
    throw new YamlSyntaxError('expected a single YAML document, found several (remove the extra "---")', pos);
  }

  let positions: Map<string, NodePositions> | undefined;
  return {
    value: docs.length === 0 ? null : docs[0],
    get positions() {
      return (positions ??= positionsOf(events, source, lines));
    },
  };
}

/** Where every key and value of the document starts, from the parser's events. */
function positionsOf(events: readonly Event[], source: string, lines: LineIndex): Map<string, NodePositions> {
  const positions = new Map<string, NodePositions>();
  const stack: Frame[] = [];

  const place = (e: Event): PathSegment[] | undefined => {
    const top = stack[stack.length - 1];
    if (!top) {
      positions.set(pathKey([]), { value: lines.at(startOffset(e, source)) });
      return [];
    }
    if (top.kind === 'seq') {
      const path = [...top.path, top.index++];
      positions.set(pathKey(path), { value: lines.at(startOffset(e, source)) });
      return path;
    }
    // Mapping: children alternate key, value.
    if (top.index++ % 2 === 0) {
      top.key = e.type === EVENT_ID.SCALAR ? getScalarValue(source, e) : '?';
      top.keyPos = lines.at(startOffset(e, source));
      return undefined; // a key is not a value with a path of its own
    }
    const path = [...top.path, top.key ?? '?'];
    positions.set(pathKey(path), { value: lines.at(startOffset(e, source)), key: top.keyPos });
    return path;
  };

  // Keys that are themselves collections get a frame too (path "?") so that their children
  // do not shift the parent mapping's key/value alternation.
  const opened: Array<'doc' | 'collection'> = [];
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        opened.push('doc');
        break;
      case EVENT_ID.SCALAR:
      case EVENT_ID.ALIAS:
        place(e);
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const path = place(e);
        opened.push('collection');
        stack.push({ kind: e.type === EVENT_ID.SEQUENCE ? 'seq' : 'map', path: path ?? ['?'], index: 0 });
        break;
      }
      case EVENT_ID.POP:
        if (opened.pop() === 'collection') stack.pop();
        break;
    }
  }

  return positions;
}

/**
 * Best position for a path: the value itself, else the closest ancestor that exists
 * (a missing field is reported where its parent mapping starts).
 */
export function positionOf(
  positions: Map<string, NodePositions>,
  path: readonly PathSegment[],
  prefer: 'value' | 'key' = 'value',
): Position {
  for (let n = path.length; n >= 0; n--) {
    const p = positions.get(pathKey(path.slice(0, n)));
    if (p) return prefer === 'key' && n === path.length && p.key ? p.key : p.value;
  }
  return { line: 1, col: 1 };
}
