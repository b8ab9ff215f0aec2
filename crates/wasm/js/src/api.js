// The public API of `linewise`, written once for every entry point. scripts/build.mjs wraps this
// file into dist/node/index.cjs (CommonJS) and dist/web/index.mjs (ESM); it must stay free of
// import/export statements. `glue` is the wasm-bindgen module, `assertReady` throws while the
// browser build has not loaded its .wasm yet.
function createApi(glue, assertReady) {
  const PRECISIONS = ['auto', 'ns', 'us', 'ms', 's'];
  const COLUMN_TYPES = ['float', 'integer', 'uinteger', 'string', 'boolean', 'tag', 'time'];
  const DEFAULT_MAX_ERRORS = 1000;
  const U32_MAX = 0xffffffff;
  const I64_MIN = -(2n ** 63n);
  const I64_MAX = 2n ** 63n - 1n;
  const U64_MAX = 2n ** 64n - 1n;
  // Field kind codes of crates/core/src/wasm/encode.rs.
  const FLOAT = 0;
  const INTEGER = 1;
  const UINTEGER = 2;
  const STRING = 3;
  const FALSE = 4;
  const TRUE = 5;
  const TYPE_NAMES = ['float', 'integer', 'uinteger', 'string', 'boolean', 'boolean'];

  function describe(value) {
    if (value === null) return 'null';
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
    return String(value);
  }

  function readOptions(options, where) {
    if (options === undefined || options === null) options = {};
    if (typeof options !== 'object') {
      throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    }
    const precision = options.precision === undefined ? 'auto' : options.precision;
    if (!PRECISIONS.includes(precision)) {
      throw new RangeError(
        `${where}: options.precision must be one of ${PRECISIONS.join(', ')}, got ${describe(precision)}`,
      );
    }
    let maxErrors = options.maxErrors === undefined ? DEFAULT_MAX_ERRORS : options.maxErrors;
    if (maxErrors === Infinity) maxErrors = U32_MAX;
    if (!Number.isInteger(maxErrors) || maxErrors < 0) {
      throw new RangeError(
        `${where}: options.maxErrors must be a non-negative integer or Infinity, got ${describe(maxErrors)}`,
      );
    }
    return {
      precision,
      schema: flattenSchema(options.schema, where),
      maxErrors: Math.min(maxErrors, U32_MAX),
    };
  }

  // `{ measurement: { column: type } }` to `[measurement, column, type, …]`.
  function flattenSchema(schema, where) {
    const flat = [];
    if (schema === undefined || schema === null) return flat;
    if (typeof schema !== 'object' || Array.isArray(schema)) {
      throw new TypeError(`${where}: options.schema must be an object of measurements, got ${describe(schema)}`);
    }
    for (const [measurement, columns] of Object.entries(schema)) {
      if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) {
        throw new TypeError(
          `${where}: options.schema[${JSON.stringify(measurement)}] must be an object of columns, got ${describe(columns)}`,
        );
      }
      for (const [column, type] of Object.entries(columns)) {
        if (!COLUMN_TYPES.includes(type)) {
          throw new RangeError(
            `${where}: options.schema[${JSON.stringify(measurement)}][${JSON.stringify(column)}] must be one of ` +
              `${COLUMN_TYPES.join(', ')}, got ${describe(type)}`,
          );
        }
        flat.push(measurement, column, type);
      }
    }
    return flat;
  }

  function checkInput(input, where) {
    if (typeof input === 'string' || input instanceof Uint8Array) return;
    throw new TypeError(`${where}: input must be a string or a Uint8Array, got ${describe(input)}`);
  }

  function openSession(options, keepPoints) {
    assertReady();
    try {
      return new glue.Session(options.precision, options.schema, options.maxErrors, keepPoints, Date.now());
    } catch (e) {
      throw new RangeError(e.message);
    }
  }

  // Inputs go to the wasm module in slices of this many bytes (or UTF-16 units): each byte is
  // copied into WebAssembly memory once, and that memory (which never shrinks) stays about this
  // size instead of growing to the input's size.
  const SLICE = 1 << 20;
  const encoder = new TextEncoder();

  /** Where the slice of `text` from `at` ends, never between the halves of a surrogate pair. */
  function sliceEnd(text, at) {
    let end = Math.min(at + SLICE, text.length);
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff && end < text.length) end++;
    return end;
  }

  /**
   * Feeds `chunk` slice by slice, calling `collect` after each so results leave wasm memory early.
   * Text is encoded by TextEncoder straight into the module's memory: one copy, done natively.
   */
  function push(session, chunk, collect) {
    for (let at = 0; at < chunk.length; ) {
      if (typeof chunk === 'string') {
        const end = sliceEnd(chunk, at);
        const piece = at === 0 && end === chunk.length ? chunk : chunk.slice(at, end);
        const capacity = piece.length * 3;
        const ptr = session.chunkBuffer(capacity);
        const { written } = encoder.encodeInto(piece, new Uint8Array(glue.wasmMemory().buffer, ptr, capacity));
        session.pushWritten(written);
        at = end;
      } else {
        const end = Math.min(at + SLICE, chunk.length);
        session.pushBytes(chunk.subarray(at, end));
        at = end;
      }
      collect();
    }
  }

  function feedAll(session, input, collect) {
    push(session, input, collect);
    session.finish();
    collect();
  }

  // Rebuilds objects from the flat arrays of a wasm `Batch` (layout: crates/core/src/wasm/encode.rs).
  function decodeErrors(batch) {
    const heads = batch.errorHeads();
    const text = batch.errorText();
    const lens = batch.errorLens();
    const errors = new Array(heads.length / 4);
    let at = 0;
    for (let i = 0, h = 0, l = 0; i < errors.length; i++, h += 4) {
      const kind = text.substring(at, (at += lens[l++]));
      const message = text.substring(at, (at += lens[l++]));
      errors[i] = {
        line: heads[h],
        column: heads[h + 2],
        endColumn: heads[h + 3],
        kind,
        message,
        recordLine: heads[h + 1],
      };
    }
    return errors;
  }

  function decodePoints(batch) {
    const heads = batch.heads();
    const text = batch.text();
    const lens = batch.lens();
    const kinds = batch.kinds();
    const floats = batch.floats();
    const ints = batch.ints();
    const uints = batch.uints();
    const timestamps = batch.timestamps();
    let at = 0;
    let l = 0;
    const next = () => text.substring(at, (at += lens[l++]));
    const points = new Array(heads.length / 4);
    let k = 0;
    let f = 0;
    let n = 0;
    let u = 0;
    let t = 0;
    for (let i = 0, h = 0; i < points.length; i++, h += 4) {
      const measurement = next();
      const tags = Object.create(null);
      for (let j = heads[h + 1]; j > 0; j--) {
        const key = next();
        tags[key] = next();
      }
      const fields = Object.create(null);
      for (let j = heads[h + 2]; j > 0; j--) {
        const key = next();
        const kind = kinds[k++];
        let value;
        if (kind === FLOAT) value = floats[f++];
        else if (kind === INTEGER) value = ints[n++];
        else if (kind === UINTEGER) value = uints[u++];
        else if (kind === STRING) value = next();
        else value = kind === TRUE;
        fields[key] = { type: TYPE_NAMES[kind], value };
      }
      const timestamp = heads[h + 3] ? timestamps[t++] : null;
      points[i] = { line: heads[h], measurement, tags, fields, timestamp };
    }
    return points;
  }

  function take(session, withPoints) {
    const batch = session.take();
    try {
      const errors = decodeErrors(batch);
      return withPoints ? { errors, points: decodePoints(batch) } : { errors };
    } finally {
      batch.free();
    }
  }

  function validate(input, options) {
    checkInput(input, 'validate');
    const session = openSession(readOptions(options, 'validate'), false);
    try {
      const errors = [];
      feedAll(session, input, () => append(errors, take(session, false).errors));
      return { lines: session.lines, points: session.points, errorCount: session.errorCount, errors };
    } finally {
      session.free();
    }
  }

  function parse(input, options) {
    checkInput(input, 'parse');
    const session = openSession(readOptions(options, 'parse'), true);
    try {
      const errors = [];
      const points = [];
      feedAll(session, input, () => {
        const batch = take(session, true);
        append(errors, batch.errors);
        append(points, batch.points);
      });
      return { lines: session.lines, points, errorCount: session.errorCount, errors };
    } finally {
      session.free();
    }
  }

  function append(to, items) {
    for (const item of items) to.push(item);
  }

  class Validator {
    #session;
    #errors = [];

    constructor(options) {
      this.#session = openSession(readOptions(options, 'Validator'), false);
    }

    /** Adds the next chunk; returns the errors of the records it completed. */
    push(chunk) {
      checkInput(chunk, 'Validator.push');
      const session = this.#open('push');
      const errors = [];
      push(session, chunk, () => append(errors, take(session, false).errors));
      append(this.#errors, errors);
      return errors;
    }

    /** Ends the input; returns the same result `validate` gives for the whole input. */
    finish() {
      const session = this.#open('finish');
      this.#session = undefined;
      try {
        session.finish();
        append(this.#errors, take(session, false).errors);
        return { lines: session.lines, points: session.points, errorCount: session.errorCount, errors: this.#errors };
      } finally {
        session.free();
      }
    }

    #open(method) {
      if (this.#session === undefined) throw new Error(`Validator.${method}: the validator is already finished`);
      return this.#session;
    }
  }

  /** Any async iterable of chunks, or a web ReadableStream (read through its reader where it is not iterable). */
  async function validateStream(source, options) {
    const validator = new Validator(options);
    if (source && typeof source[Symbol.asyncIterator] !== 'function' && typeof source.getReader === 'function') {
      const reader = source.getReader();
      try {
        for (let next = await reader.read(); !next.done; next = await reader.read()) validator.push(next.value);
      } finally {
        reader.releaseLock();
      }
    } else {
      for await (const chunk of source) validator.push(chunk);
    }
    return validator.finish();
  }

  function fieldError(key, message, where = 'format') {
    return new TypeError(`${where}: fields[${JSON.stringify(key)}] ${message}`);
  }

  function toBigInt(value, min, max, key, type) {
    let big;
    if (typeof value === 'bigint') big = value;
    else if (Number.isSafeInteger(value)) big = BigInt(value);
    else throw fieldError(key, `is an ${type} and needs a bigint or a safe integer, got ${describe(value)}`);
    if (big < min || big > max) {
      throw new RangeError(`format: fields[${JSON.stringify(key)}] = ${big}n is out of the ${type} range ${min}..${max}`);
    }
    return big;
  }

  function toTimestamp(value) {
    if (value === undefined || value === null) return undefined;
    let big;
    if (typeof value === 'bigint') big = value;
    else if (value instanceof Date) big = BigInt(value.getTime()) * 1000000n;
    else if (Number.isSafeInteger(value)) big = BigInt(value);
    else throw new TypeError(`format: timestamp must be a bigint, a safe integer or a Date, got ${describe(value)}`);
    if (big < I64_MIN || big > I64_MAX) throw new RangeError(`format: timestamp ${big}n does not fit a signed 64-bit integer`);
    return big;
  }

  function formatOne(point) {
    if (point instanceof Point) point = point.toObject();
    if (typeof point !== 'object' || point === null) throw new TypeError(`format: a point must be an object, got ${describe(point)}`);
    const { measurement, tags = {}, fields } = point;
    if (typeof measurement !== 'string') throw new TypeError(`format: measurement must be a string, got ${describe(measurement)}`);
    if (typeof tags !== 'object' || tags === null) throw new TypeError(`format: tags must be an object, got ${describe(tags)}`);
    if (typeof fields !== 'object' || fields === null) throw new TypeError(`format: fields must be an object, got ${describe(fields)}`);
    const tagPairs = [];
    for (const [key, value] of Object.entries(tags)) {
      if (value === undefined) continue;
      if (typeof value !== 'string') throw new TypeError(`format: tags[${JSON.stringify(key)}] must be a string, got ${describe(value)}`);
      tagPairs.push(key, value);
    }
    const keys = [];
    const kinds = [];
    const floats = [];
    const ints = [];
    const uints = [];
    const strings = [];
    for (const [key, field] of Object.entries(fields)) {
      if (field === undefined) continue;
      const typed = typeof field === 'object' && field !== null;
      const type = typed ? field.type : { number: 'float', bigint: 'integer', string: 'string', boolean: 'boolean' }[typeof field];
      const value = typed ? field.value : field;
      keys.push(key);
      if (type === 'float') {
        if (typeof value !== 'number') throw fieldError(key, `is a float and needs a number, got ${describe(value)}`);
        kinds.push(FLOAT);
        floats.push(value);
      } else if (type === 'integer') {
        kinds.push(INTEGER);
        ints.push(toBigInt(value, I64_MIN, I64_MAX, key, 'integer'));
      } else if (type === 'uinteger') {
        kinds.push(UINTEGER);
        uints.push(toBigInt(value, 0n, U64_MAX, key, 'uinteger'));
      } else if (type === 'string') {
        if (typeof value !== 'string') throw fieldError(key, `is a string and needs a string, got ${describe(value)}`);
        kinds.push(STRING);
        strings.push(value);
      } else if (type === 'boolean') {
        if (typeof value !== 'boolean') throw fieldError(key, `is a boolean and needs a boolean, got ${describe(value)}`);
        kinds.push(value ? TRUE : FALSE);
      } else {
        throw fieldError(
          key,
          `must be a number, bigint, string, boolean or { type: "float"|"integer"|"uinteger"|"string"|"boolean", value }, got ${describe(field)}`,
        );
      }
    }
    const timestamp = toTimestamp(point.timestamp);
    assertReady();
    try {
      return glue.formatPoint(
        measurement,
        tagPairs,
        keys,
        Uint8Array.from(kinds),
        Float64Array.from(floats),
        BigInt64Array.from(ints),
        BigUint64Array.from(uints),
        strings,
        timestamp,
      );
    } catch (e) {
      throw new RangeError(`format: ${e.message}`);
    }
  }

  /** Line protocol for one point, or for several joined by newlines. */
  function format(points) {
    return Array.isArray(points) ? points.map(formatOne).join('\n') : formatOne(points);
  }

  /** Builds a point field by field; `toLineProtocol()` writes it. */
  class Point {
    #measurement;
    #tags = Object.create(null);
    #fields = Object.create(null);
    #timestamp;

    constructor(measurement) {
      this.setMeasurement(measurement);
    }

    static measurement(name) {
      return new Point(name);
    }

    setMeasurement(name) {
      if (typeof name !== 'string') throw new TypeError(`Point: measurement must be a string, got ${describe(name)}`);
      this.#measurement = name;
      return this;
    }

    setTag(key, value) {
      if (typeof value !== 'string') throw new TypeError(`Point.setTag(${JSON.stringify(key)}): value must be a string, got ${describe(value)}`);
      this.#tags[key] = value;
      return this;
    }

    setFloatField(key, value) {
      return this.#set(key, 'float', value, 'number');
    }

    setIntegerField(key, value) {
      return this.#set(key, 'integer', toBigInt(value, I64_MIN, I64_MAX, key, 'integer'));
    }

    setUintegerField(key, value) {
      return this.#set(key, 'uinteger', toBigInt(value, 0n, U64_MAX, key, 'uinteger'));
    }

    setStringField(key, value) {
      return this.#set(key, 'string', value, 'string');
    }

    setBooleanField(key, value) {
      return this.#set(key, 'boolean', value, 'boolean');
    }

    /** Nanoseconds as a bigint (or a safe integer), or a Date. */
    setTimestamp(value) {
      this.#timestamp = toTimestamp(value);
      return this;
    }

    toObject() {
      return {
        measurement: this.#measurement,
        tags: { ...this.#tags },
        fields: Object.fromEntries(Object.entries(this.#fields).map(([k, v]) => [k, { ...v }])),
        timestamp: this.#timestamp === undefined ? null : this.#timestamp,
      };
    }

    toLineProtocol() {
      return formatOne(this.toObject());
    }

    toString() {
      return this.toLineProtocol();
    }

    #set(key, type, value, jsType = 'bigint') {
      if (typeof key !== 'string') throw new TypeError(`Point: field key must be a string, got ${describe(key)}`);
      if (typeof value !== jsType) throw fieldError(key, `is a ${type} and needs a ${jsType}, got ${describe(value)}`, 'Point');
      this.#fields[key] = { type, value };
      return this;
    }
  }

  /** The identifiers `LineError.kind` can take. */
  function errorKinds() {
    assertReady();
    return glue.errorKinds();
  }

  return { validate, parse, format, Point, Validator, validateStream, errorKinds };
}
