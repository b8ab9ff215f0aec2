// Tests of the installed package through its CommonJS entry (`require('linewise')`).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const linewise = require('linewise');
const { validate, parse, format, Point, Validator, validateStream, errorKinds } = linewise;

const data = (name) => readFileSync(join(__dirname, 'data', name));
const home = data('home-48.lp').toString('utf8');
// 400 mixed-schema points, 15 % broken on purpose; gen_lp.py logged each broken line.
const mixedBad = data('mixed-bad.lp');
const mixedBadLog = data('mixed-bad.jsonl')
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
// Literal newlines in strings, unterminated strings, comments, blanks and invalid UTF-8.
const multiline = data('mixed-multiline.lp');

/** Plain objects (parse returns prototype-less records) for deepEqual. */
const plain = (value) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));

test('home data: every line is a valid point', () => {
  const result = validate(home);
  assert.deepEqual(result, { lines: 48, points: 48, errorCount: 0, errors: [] });
  assert.deepEqual(validate(data('home-48.lp')), result, 'a Uint8Array gives the same result');
});

test('home data parses to typed points with ns timestamps', () => {
  const { points, errors, lines, errorCount } = parse(home, { precision: 's' });
  assert.deepEqual([errors, lines, errorCount], [[], 48, 0]);
  assert.equal(points.length, 48);
  assert.deepEqual(plain(points[0]), {
    line: 1,
    measurement: 'home',
    tags: { room: 'Living Room' },
    fields: {
      temp: { type: 'float', value: 21.2 },
      hum: { type: 'float', value: 36.1 },
      co: { type: 'integer', value: '0n' },
    },
    timestamp: '1641024000000000000n',
  });
  assert.equal(points[1].tags.room, 'Kitchen');
  assert.equal(points[47].timestamp, (1641024000n + 23n * 3600n) * 1000000000n);
  assert.equal(typeof points[47].fields.co.value, 'bigint');
  // auto picks seconds for these magnitudes, as InfluxDB 3 does.
  assert.equal(parse(home).points[47].timestamp, points[47].timestamp);
  assert.equal(parse(home, { precision: 'ms' }).points[0].timestamp, 1641024000000000n);
});

test('every line broken on purpose gets an error on that line, and only those', () => {
  const result = validate(mixedBad, { maxErrors: Infinity });
  const errorLines = [...new Set(result.errors.map((e) => e.line))];
  assert.deepEqual(errorLines, mixedBadLog.map((b) => b.line));
  assert.equal(result.errorCount, result.errors.length);
  for (const error of result.errors) {
    assert.ok(error.column >= 1 && error.endColumn >= error.column, JSON.stringify(error));
    assert.match(error.kind, /^[a-z0-9_]+$/);
    assert.ok(error.message.length > 10, error.message);
  }
  assert.equal(result.points, 400 - mixedBadLog.length);
});

// One input per error kind the core reports: [input, options, line, column, endColumn].
const KIND_CASES = {
  invalid_utf8: [Buffer.from('m f="\xff"', 'latin1'), {}, 1, 6, 7],
  missing_measurement: [',t=a f=1', {}, 1, 1, 2],
  unexpected_tab: ['m\tf=1', {}, 1, 2, 3],
  trailing_backslash: ['m,t=a\\', {}, 1, 6, 7],
  missing_tag_key: ['m,=a f=1', {}, 1, 3, 4],
  missing_tag_equals: ['m,t f=1', {}, 1, 4, 5],
  missing_tag_value: ['m,t= f=1', {}, 1, 5, 6],
  missing_field_set: ['m,t=a', {}, 1, 6, 7],
  missing_field_key: ['m =1', {}, 1, 3, 4],
  missing_field_equals: ['m f 1', {}, 1, 4, 5],
  missing_field_value: ['m f=', {}, 1, 5, 6],
  trailing_comma: ['m f=1,', {}, 1, 6, 7],
  invalid_field_value: ['m f=abc', {}, 1, 5, 8],
  invalid_float: ['m f=1.', {}, 1, 5, 7],
  invalid_integer: ['m f=1.5i', {}, 1, 5, 9],
  integer_overflow: ['m f=9223372036854775808i', {}, 1, 5, 25],
  invalid_unsigned: ['m f=-1u', {}, 1, 5, 8],
  unsigned_overflow: ['m f=18446744073709551616u', {}, 1, 5, 26],
  invalid_boolean: ['m f=tRUE', {}, 1, 5, 9],
  unterminated_string: ['m f="abc', {}, 1, 5, 6],
  expected_separator: ['m f="a"b', {}, 1, 8, 9],
  string_too_long: [`m f="${'a'.repeat(2 ** 20 + 1)}"`, {}, 1, 5, 6],
  name_too_long: [`m${'a'.repeat(2 ** 20)} f=1`, {}, 1, 1, 2 ** 20 + 2],
  invalid_timestamp: ['m f=1 12x', {}, 1, 7, 10],
  timestamp_overflow: ['m f=1 9223372036854775808', {}, 1, 7, 26],
  timestamp_out_of_range: ['m f=1 9223372036854775', { precision: 's' }, 1, 7, 23],
  trailing_content: ['m f=1 1 2', {}, 1, 9, 10],
  type_conflict: ['m f=1\nm f="a"', {}, 2, 3, 4],
  column_kind_conflict: ['m,t=a f=1\nm t=1', {}, 2, 3, 4],
  duplicate_tag: ['m,t=a,t=b f=1', {}, 1, 7, 8],
  duplicate_field: ['m f=1,f=2', {}, 1, 7, 8],
  reserved_column: ['m time=1', {}, 1, 3, 7],
  // 501 fields, one past InfluxDB 3's 500 columns per table: marked at the 501st key.
  too_many_columns: [`m ${Array.from({ length: 501 }, (_, i) => `f${i}=1`).join(',')}`, {}, 1, 3393, 3397],
};

test('every error kind the core reports, with its position', () => {
  assert.deepEqual(Object.keys(KIND_CASES).sort(), [...errorKinds()].sort(), 'one case per kind');
  for (const [kind, [input, options, line, column, endColumn]] of Object.entries(KIND_CASES)) {
    const result = validate(input, options);
    assert.equal(result.errorCount, 1, kind);
    const [error] = result.errors;
    assert.deepEqual(
      { kind: error.kind, line: error.line, column: error.column, endColumn: error.endColumn },
      { kind, line, column, endColumn },
      `${kind}: ${error.message}`,
    );
    assert.ok(error.message.length > 20, error.message);
    // The same input split into 3-byte chunks reports the same error.
    const validator = new Validator(options);
    const bytes = typeof input === 'string' ? Buffer.from(input) : input;
    if (bytes.length < 100) {
      for (let at = 0; at < bytes.length; at += 3) validator.push(bytes.subarray(at, at + 3));
      assert.deepEqual(validator.finish(), result, `${kind} streamed`);
    }
  }
});

test('maxErrors keeps the first errors and still counts all', () => {
  const all = validate(mixedBad, { maxErrors: Infinity });
  const few = validate(mixedBad, { maxErrors: 3 });
  assert.deepEqual(few.errors, all.errors.slice(0, 3));
  assert.equal(few.errorCount, all.errorCount);
  assert.equal(validate(mixedBad, { maxErrors: 0 }).errors.length, 0);
});

test('64-bit integers keep every bit', () => {
  const text = 'm min=-9223372036854775808i,max=9223372036854775807i,umax=18446744073709551615u,f=1.5 9223372036854775807';
  const { points, errors } = parse(text, { precision: 'ns' });
  assert.deepEqual(errors, []);
  const { fields, timestamp } = points[0];
  assert.deepEqual(plain(fields), {
    min: { type: 'integer', value: '-9223372036854775808n' },
    max: { type: 'integer', value: '9223372036854775807n' },
    umax: { type: 'uinteger', value: '18446744073709551615n' },
    f: { type: 'float', value: 1.5 },
  });
  assert.equal(timestamp, 9223372036854775807n);
  assert.equal(format(points[0]), text);
});

test('out-of-range 64-bit values are errors, not wrapped numbers', () => {
  const result = validate('m a=9223372036854775808i\nm b=18446744073709551616u\nm c=1i 9223372036854775808\n');
  assert.deepEqual(result.errors.map((e) => e.line), [1, 2, 3]);
  assert.throws(() => format({ measurement: 'm', fields: { a: 2n ** 63n } }), RangeError);
  assert.throws(() => format({ measurement: 'm', fields: { a: { type: 'uinteger', value: -1n } } }), RangeError);
  assert.throws(() => format({ measurement: 'm', fields: { a: 1 }, timestamp: 2n ** 63n }), RangeError);
});

test('round trip: parse(format(p)) gives p back for every valid point of the mixed data', () => {
  const { points } = parse(multiline, { precision: 'ns' });
  assert.ok(points.length > 300, `${points.length} points`);
  for (const point of points) {
    const line = format(point);
    const again = parse(line, { precision: 'ns' });
    assert.deepEqual(again.errors, [], line);
    assert.deepEqual(plain({ ...again.points[0], line: point.line }), plain(point), line);
  }
  const lines = format(points);
  assert.equal(parse(lines, { precision: 'ns' }).points.length, points.length);
});

test('format escapes what each position needs', () => {
  const point = {
    measurement: 'my measurement,1',
    tags: { 'tag key': 'a,b=c d', 'ü🚀': 'x\\y' },
    fields: { 'field=key': 'say "hi" \\ there', n: 1.5, i: 3n, b: false, u: { type: 'uinteger', value: 7 } },
    timestamp: 1700000000000000000n,
  };
  const line = format(point);
  const back = parse(line, { precision: 'ns' });
  assert.deepEqual(back.errors, []);
  assert.equal(back.points[0].measurement, point.measurement);
  assert.deepEqual({ ...back.points[0].tags }, point.tags);
  assert.equal(back.points[0].fields['field=key'].value, 'say "hi" \\ there');
  assert.deepEqual(back.points[0].fields.u, { type: 'uinteger', value: 7n });
});

test('format refuses what line protocol cannot carry', () => {
  const refuse = (point, pattern) => assert.throws(() => format(point), pattern);
  refuse({ measurement: 'm', fields: {} }, /at least one field/);
  refuse({ measurement: 'm', fields: { f: NaN } }, /NaN/);
  refuse({ measurement: 'm', fields: { f: Infinity } }, /NaN or infinite/);
  refuse({ measurement: '', fields: { f: 1 } }, RangeError);
  refuse({ measurement: 'm', tags: { t: '' }, fields: { f: 1 } }, RangeError);
  refuse({ measurement: 'm', tags: { t: 'a\nb' }, fields: { f: 1 } }, RangeError);
  refuse({ measurement: 'm', fields: { f: [1] } }, TypeError);
  refuse({ measurement: 'm', fields: { f: { type: 'integer', value: 1.5 } } }, TypeError);
  refuse({ measurement: 1, fields: { f: 1 } }, TypeError);
});

test('Point builder writes the same line as format', () => {
  const point = Point.measurement('home')
    .setTag('room', 'Living Room')
    .setFloatField('temp', 21.5)
    .setIntegerField('co', 3)
    .setUintegerField('count', 18446744073709551615n)
    .setStringField('note', 'ok')
    .setBooleanField('door', true)
    .setTimestamp(new Date(1641024000000));
  const line = point.toLineProtocol();
  assert.equal(line, 'home,room=Living\\ Room temp=21.5,co=3i,count=18446744073709551615u,note="ok",door=true 1641024000000000000');
  assert.equal(format(point), line);
  assert.equal(format([point, point]), `${line}\n${line}`);
  assert.throws(() => new Point('m').setIntegerField('x', 2n ** 63n), RangeError);
  assert.throws(() => new Point('m').setFloatField('x', '1'), /Point: fields\["x"\] is a float and needs a number/);
  assert.throws(() => new Point('m').setBooleanField('x', 1), TypeError);
});

/** `text` cut into pieces of about `size` UTF-16 units, never inside a surrogate pair. */
function textChunks(text, size) {
  const chunks = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + size, text.length);
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1])) end++;
    chunks.push(text.slice(at, end));
    at = end;
  }
  return chunks;
}

test('streaming: any chunking gives the result of validating the whole input', () => {
  for (const input of [multiline, mixedBad]) {
    const whole = validate(input, { maxErrors: Infinity });
    const wholeText = validate(input.toString('utf8'), { maxErrors: Infinity });
    assert.ok(whole.errorCount > 0);
    for (const size of [1, 7, 64, 1000, 4096, input.length]) {
      // Byte chunks cut through UTF-8 characters, lines and multi-line strings.
      const validator = new Validator({ maxErrors: Infinity });
      const streamed = [];
      for (let at = 0; at < input.length; at += size) {
        streamed.push(...validator.push(input.subarray(at, at + size)));
      }
      const result = validator.finish();
      assert.deepEqual(result, whole, `byte chunks of ${size}`);
      assert.deepEqual(streamed, whole.errors.slice(0, streamed.length), 'push returns errors in order');
      const text = new Validator({ maxErrors: Infinity });
      for (const chunk of textChunks(input.toString('utf8'), size)) text.push(chunk);
      assert.deepEqual(text.finish(), wholeText, `text chunks of ${size}`);
    }
  }
});

test('a 100 MB input: counts, and line numbers that run on across every copy', () => {
  const copies = Math.ceil(100e6 / mixedBad.length);
  const big = Buffer.concat(Array(copies).fill(mixedBad));
  const one = validate(mixedBad, { maxErrors: Infinity });
  const result = validate(big, { maxErrors: Infinity });
  assert.equal(result.lines, one.lines * copies);
  assert.equal(result.points, one.points * copies);
  assert.equal(result.errorCount, one.errorCount * copies);
  const last = result.errors.slice(-one.errorCount);
  assert.deepEqual(
    last.map((e) => [e.line - one.lines * (copies - 1), e.kind]),
    one.errors.map((e) => [e.line, e.kind]),
  );
});

test('streaming: a finished validator refuses more input', () => {
  const validator = new Validator();
  validator.push('home,room=a temp=1 1\n');
  assert.equal(validator.finish().points, 1);
  assert.throws(() => validator.push('x'), /already finished/);
  assert.throws(() => validator.finish(), /already finished/);
});

test('validateStream reads a Node stream', async () => {
  const result = await validateStream(Readable.from([mixedBad.subarray(0, 1000), mixedBad.subarray(1000)]), {
    maxErrors: Infinity,
  });
  assert.deepEqual(result, validate(mixedBad, { maxErrors: Infinity }));
});

test('validateStream reads a web ReadableStream through its reader', async () => {
  const parts = [mixedBad.subarray(0, 333), mixedBad.subarray(333)];
  const stream = new ReadableStream({
    pull(controller) {
      if (parts.length) controller.enqueue(parts.shift());
      else controller.close();
    },
  });
  // Only the reader, as in browsers where streams are not async iterable.
  const result = await validateStream({ getReader: () => stream.getReader() }, { maxErrors: Infinity });
  assert.deepEqual(result, validate(mixedBad, { maxErrors: Infinity }));
});

test('known schema: a column of another type is a type conflict naming the line', () => {
  const schema = { home: { temp: 'integer', room: 'tag' } };
  const result = validate(home, { schema });
  assert.equal(result.errorCount, 48);
  assert.equal(result.errors[0].line, 1);
  assert.equal(result.errors[0].kind, 'type_conflict');
  assert.deepEqual(validate(home, { schema: { home: { temp: 'float', co: 'integer', room: 'tag' } } }).errorCount, 0);
});

test('options are checked with clear messages', () => {
  assert.throws(() => validate(home, { precision: 'h' }), /precision must be one of auto, ns, us, ms, s/);
  assert.throws(() => validate(home, { schema: { home: { temp: 'double' } } }), /"home"\]\["temp"\] must be one of/);
  assert.throws(() => validate(home, { maxErrors: -1 }), /maxErrors/);
  assert.throws(() => validate(42), /input must be a string or a Uint8Array/);
});

test('the CommonJS and ESM entries are one instance', async () => {
  const esm = await import('linewise');
  assert.equal(esm.validate, validate);
  assert.equal(esm.Point, Point);
  await linewise.init();
});
