/** Unit of the timestamps in the input. `auto` guesses per line from the magnitude, as InfluxDB 3. */
export type Precision = 'auto' | 'ns' | 'us' | 'ms' | 's';

/** Type of a column the caller already knows (e.g. from the server's schema). */
export type ColumnType = 'float' | 'integer' | 'uinteger' | 'string' | 'boolean' | 'tag' | 'time';

/** Known columns by measurement: `{ home: { temp: "float", room: "tag" } }`. */
export type KnownSchema = Record<string, Record<string, ColumnType>>;

export interface Options {
  /** Default `auto`. */
  precision?: Precision;
  /** Columns whose types are fixed already; a line that disagrees gets a `type_conflict` error. */
  schema?: KnownSchema;
  /** Errors returned in full (default 1000, `Infinity` for all); `errorCount` always counts every one. */
  maxErrors?: number;
}

/** What went wrong: a stable snake_case identifier (`errorKinds()` lists them). */
export type ErrorKind =
  | 'invalid_utf8'
  | 'missing_measurement'
  | 'unexpected_tab'
  | 'trailing_backslash'
  | 'missing_tag_key'
  | 'missing_tag_equals'
  | 'missing_tag_value'
  | 'missing_field_set'
  | 'missing_field_key'
  | 'missing_field_equals'
  | 'missing_field_value'
  | 'trailing_comma'
  | 'invalid_field_value'
  | 'invalid_float'
  | 'invalid_integer'
  | 'integer_overflow'
  | 'invalid_unsigned'
  | 'unsigned_overflow'
  | 'invalid_boolean'
  | 'unterminated_string'
  | 'expected_separator'
  | 'string_too_long'
  | 'name_too_long'
  | 'invalid_timestamp'
  | 'timestamp_overflow'
  | 'timestamp_out_of_range'
  | 'trailing_content'
  | 'type_conflict'
  | 'column_kind_conflict'
  | 'duplicate_tag'
  | 'duplicate_field'
  | 'reserved_column'
  | 'too_many_columns';

/** One problem on one line. Columns are 1-based and count Unicode code points; `endColumn` is exclusive. */
export interface LineError {
  /** 1-based physical line of the problem (blank and comment lines count). */
  line: number;
  column: number;
  endColumn: number;
  kind: ErrorKind;
  /** What was expected and where. */
  message: string;
  /** 1-based physical line where the record holding the problem starts (differs for multi-line strings). */
  recordLine: number;
}

export interface ValidationResult {
  /** Physical lines in the input. */
  lines: number;
  /** Valid points (records). */
  points: number;
  /** Every error, including those beyond `maxErrors`. */
  errorCount: number;
  /** The first `maxErrors` errors, in input order. */
  errors: LineError[];
}

export type FieldType = 'float' | 'integer' | 'uinteger' | 'string' | 'boolean';

/** A typed field value. 64-bit integers are bigints, so they never lose precision. */
export type Field =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint }
  | { type: 'uinteger'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

export interface ParsedPoint {
  /** 1-based physical line where the record starts. */
  line: number;
  measurement: string;
  /** Unescaped tag values by key (an object without prototype). */
  tags: Record<string, string>;
  /** Fields by key, with their types (an object without prototype). */
  fields: Record<string, Field>;
  /** Nanoseconds since the epoch after applying `precision`; `null` when the line has none. */
  timestamp: bigint | null;
}

export interface ParseResult {
  lines: number;
  points: ParsedPoint[];
  errorCount: number;
  errors: LineError[];
}

/**
 * A field value to write: a number is a float, a bigint an integer, or say the type explicitly
 * (needed for `uinteger`).
 */
export type FieldInput =
  | number
  | bigint
  | string
  | boolean
  | { type: 'float'; value: number }
  | { type: 'integer' | 'uinteger'; value: bigint | number }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

/** A point to write. `parse` results are accepted as they are. */
export interface PointInput {
  measurement: string;
  tags?: Record<string, string | undefined>;
  fields: Record<string, FieldInput | undefined>;
  /** Nanoseconds (bigint or safe integer) or a Date; none means the server's time. */
  timestamp?: bigint | number | Date | null;
}

/** Checks line protocol; returns counts and errors only, so it stays cheap on large inputs. */
export function validate(input: string | Uint8Array, options?: Options): ValidationResult;

/** Parses line protocol into points (with the same checks and errors as `validate`). */
export function parse(input: string | Uint8Array, options?: Options): ParseResult;

/**
 * Writes one point, or several joined by `\n`, as correctly escaped line protocol. Throws a
 * `RangeError` for points line protocol cannot carry (no fields, empty names, NaN, a newline in a tag).
 */
export function format(point: PointInput | Point | Array<PointInput | Point>): string;

/** Validates an input that arrives in chunks; lines split across chunks are carried over. */
export class Validator {
  constructor(options?: Options);
  /** Adds the next chunk; returns the errors of the records it completed. */
  push(chunk: string | Uint8Array): LineError[];
  /** Ends the input; returns what `validate` returns for the whole input. */
  finish(): ValidationResult;
}

/** Every `ErrorKind`, in the core's order. */
export function errorKinds(): ErrorKind[];

/** A web `ReadableStream` as far as `validateStream` uses it (no DOM typings needed). */
export interface StreamWithReader {
  getReader(): {
    read(): Promise<{ done: boolean; value?: string | Uint8Array }>;
    releaseLock(): void;
  };
}

/** Validates a stream (a Node Readable, a web ReadableStream, any async iterable of chunks). */
export function validateStream(
  source: AsyncIterable<string | Uint8Array> | StreamWithReader,
  options?: Options,
): Promise<ValidationResult>;

/** Builds a point field by field. */
export class Point {
  constructor(measurement: string);
  static measurement(name: string): Point;
  setMeasurement(name: string): this;
  setTag(key: string, value: string): this;
  setFloatField(key: string, value: number): this;
  setIntegerField(key: string, value: bigint | number): this;
  setUintegerField(key: string, value: bigint | number): this;
  setStringField(key: string, value: string): this;
  setBooleanField(key: string, value: boolean): this;
  /** Nanoseconds (bigint or safe integer) or a Date. */
  setTimestamp(value: bigint | number | Date): this;
  toObject(): PointInput;
  toLineProtocol(): string;
}

/**
 * Loads the WebAssembly module. Required once (awaited) before anything else in browsers; a no-op in
 * Node. Optionally pass where the .wasm is (URL, Response, bytes, WebAssembly.Module).
 */
export function init(source?: unknown): Promise<void>;

/** Synchronous `init` from the .wasm bytes or a compiled WebAssembly.Module. */
export function initSync(module: BufferSource | WebAssembly.Module): void;
