// What the alerts manager accepts from people and other capabilities (signals and updates that
// anyone can send with `temporal workflow signal`): each refusal says what is wrong.
import { checkAck, checkEvent, checkExpire, checkSilence } from '../../src/alerts/model/requests';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const silence = (extra: Record<string, unknown>) => ({
  matchers: [{ name: 'alertname', op: '=', value: 'DiskFull' }],
  endsAt: '2026-11-27T14:00:00Z',
  createdBy: 'ops',
  comment: 'maintenance',
  ...extra,
});

describe('silence requests', () => {
  it('a plain one is accepted', () => expect(checkSilence(silence({}), NOW)).toBeNull());

  it.each([
    ['no matchers', { matchers: [] }, /at least one matcher/],
    [
      'matchers that match everything',
      { matchers: [{ name: 'foo', op: '=', value: '' }] },
      /silence everything/,
    ],
    [
      'a regex that matches everything',
      { matchers: [{ name: 'alertname', op: '=~', value: '.*' }] },
      /silence everything/,
    ],
    ['a bad operator', { matchers: [{ name: 'a', op: '==', value: 'x' }] }, /op must be one of/],
    ['a bad label name', { matchers: [{ name: '1a', op: '=', value: 'x' }] }, /is not a label name/],
    [
      'a value that is not a string',
      { matchers: [{ name: 'a', op: '=', value: 5 }] },
      /value must be a string/,
    ],
    ['a bad regex', { matchers: [{ name: 'a', op: '=~', value: '(' }] }, /not a valid regular expression/],
    [
      'a regex too long to run in a workflow',
      { matchers: [{ name: 'a', op: '=~', value: 'a'.repeat(300) }] },
      /at most 256/,
    ],
    [
      'too many matchers',
      { matchers: Array.from({ length: 40 }, () => ({ name: 'a', op: '=', value: 'x' })) },
      /at most 32/,
    ],
    ['an end in the past', { endsAt: '2026-11-27T11:00:00Z' }, /before it starts or in the past/],
    ['an end before the start', { startsAt: '2026-11-27T15:00:00Z' }, /before it starts/],
    ['a time that is not one', { endsAt: 'tomorrow' }, /ISO 8601/],
    ['nobody who silences', { createdBy: '' }, /createdBy .* is required/],
    ['a comment that is not text', { comment: { x: 1 } }, /comment must be a string/],
  ])('%s is refused', (_what, extra, re) => expect(checkSilence(silence(extra), NOW)).toMatch(re));

  it('a non-object is refused', () => expect(checkSilence('x', NOW)).toMatch(/must be an object/));
});

describe('events', () => {
  it('labels with an alertname, and annotations, are accepted', () =>
    expect(
      checkEvent({ labels: { alertname: 'Failover', host: 'a' }, annotations: { summary: 's' } }),
    ).toBeNull());

  it.each([
    ['no labels', {}, /labels must be a mapping/],
    ['no alertname', { labels: { host: 'a' } }, /alertname is required/],
    [
      'a number as a label value',
      { labels: { alertname: 'X', n: 5 } },
      /labels.n must be a string, not number/,
    ],
    ['a label name with a dash', { labels: { alertname: 'X', 'a-b': '1' } }, /"a-b" is not a label name/],
    ['a label value past its bound', { labels: { alertname: 'X', v: 'x'.repeat(2000) } }, /longer than 1024/],
    [
      'annotations that are a list',
      { labels: { alertname: 'X' }, annotations: ['a'] },
      /annotations must be a mapping/,
    ],
  ])('%s is refused', (_what, e, re) => expect(checkEvent(e)).toMatch(re));
});

describe('acks and expiries', () => {
  it.each([
    [{ fingerprint: '0123456789abcdef', by: 'ops', comment: '' }, null],
    [{ fingerprint: 'xyz', by: 'ops' }, /16 hex digits/],
    [{ fingerprint: '0123456789abcdef', by: '' }, /by .* is required/],
  ])('ack %j', (r, want) =>
    want === null ? expect(checkAck(r)).toBeNull() : expect(checkAck(r)).toMatch(want),
  );

  it('an expiry needs the silence id', () => {
    expect(checkExpire({ id: 'abc', by: 'ops' })).toBeNull();
    expect(checkExpire({ by: 'ops' })).toMatch(/id .* is required/);
  });
});
