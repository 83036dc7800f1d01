import {
  formatPath,
  parseYamlWithPositions,
  positionOf,
  YamlSyntaxError,
} from '../../src/platform/config/yaml';

describe('YAML with positions', () => {
  const text = [
    'version: 1', // 1
    'hosts:', // 2
    '  - name: alpha', // 3
    '    labels: {zone: "eu-1", rack: r2}', // 4
    '  - name: beta', // 5
    'health:', // 6
    '  hosts:', // 7
    '    - alpha', // 8
    '  interval: &iv 30s', // 9
    '  timeout: *iv', // 10
    'quoted: "x"', // 11
    'block: |', // 12
    '  text', // 13
    'after: 1', // 14
  ].join('\n');
  const { value, positions } = parseYamlWithPositions(text);

  it('builds the plain value', () => {
    expect(value).toMatchObject({
      version: 1,
      hosts: [{ name: 'alpha', labels: { zone: 'eu-1', rack: 'r2' } }, { name: 'beta' }],
      health: { hosts: ['alpha'], interval: '30s', timeout: '30s' },
      after: 1,
    });
  });

  it.each([
    [['version'], 1, 10],
    [['hosts'], 3, 3],
    [['hosts', 0], 3, 5],
    [['hosts', 0, 'name'], 3, 11],
    [['hosts', 0, 'labels'], 4, 13],
    [['hosts', 0, 'labels', 'zone'], 4, 20],
    [['hosts', 0, 'labels', 'rack'], 4, 34],
    [['hosts', 1, 'name'], 5, 11],
    [['health', 'hosts', 0], 8, 7],
    [['health', 'interval'], 9, 13],
    [['health', 'timeout'], 10, 12],
    [['quoted'], 11, 9],
    [['block'], 12, 8],
    [['after'], 14, 8],
  ] as Array<[Array<string | number>, number, number]>)('value at %j is at %d:%d', (path, line, col) => {
    expect(positions.get(JSON.stringify(path))?.value).toEqual({ line, col });
  });

  it('records key positions for mapping entries', () => {
    expect(positions.get(JSON.stringify(['hosts', 0, 'labels']))?.key).toEqual({ line: 4, col: 5 });
    expect(positionOf(positions, ['health', 'timeout'], 'key')).toEqual({ line: 10, col: 3 });
  });

  it('falls back to the nearest ancestor for missing paths', () => {
    expect(positionOf(positions, ['hosts', 1, 'description'])).toEqual({ line: 5, col: 5 });
    expect(positionOf(positions, ['nothing', 'here'])).toEqual({ line: 1, col: 1 });
  });

  it('rejects complex keys with a position', () => {
    expect(() => parseYamlWithPositions('a: 1\n? [x, y]\n: v\n')).toThrow(/complex keys/);
  });

  it('reports syntax errors with 1-based positions', () => {
    expect(() => parseYamlWithPositions('a: 1\n b: 2\n')).toThrow(YamlSyntaxError);
    try {
      parseYamlWithPositions('a: [1, 2\n');
    } catch (err) {
      expect((err as YamlSyntaxError).position.line).toBe(2);
    }
  });

  it('limits alias expansion (billion laughs)', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 120; i++) bomb.push(`b${i}: *a`);
    expect(() => parseYamlWithPositions(bomb.join('\n'))).toThrow(/alias/i);
  });

  it('formats paths for error lines', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['backups', 0, 'retention', 'keepDaily'])).toBe('backups[0].retention.keepDaily');
    expect(formatPath(['labels', 'a b'])).toBe('labels["a b"]');
  });
});
