// Payload formats inside queue file records: the size record's six fixed-width numbers
// and "name=value" attributes. Kept apart from the writer and reader so that postcat,
// qmgr and postsuper parse them one way.
// Called by queue-file.ts and engine/admin/postcat.ts. Trusts nothing in the text.
// Models REC_TYPE_SIZE_FORMAT (src/global/rec_type.h) and src/util/split_nameval.c.

/** The numbers in the first record of every queue file (cleanup_final.c). */
export interface SizeRecord {
  /** Bytes of content records between the M and X markers. */
  contentSize: number;
  /** Offset of the first content record. */
  dataOffset: number;
  recipientCount: number;
  /** qmgr hints: mixed recipients/other records, DSN notify bits. */
  qmgrFlags: number;
  /** Content length as Postfix 2.4+ counts it (equal to contentSize unless edited). */
  contentLength: number;
  smtputf8: number;
}

/** Each field takes 15 columns so that the record can be rewritten in place. */
export const SIZE_FIELD_WIDTH = 15;

export function sizeRecordPayload(size: SizeRecord): string {
  const fields = [size.contentSize, size.dataOffset, size.recipientCount, size.qmgrFlags, size.contentLength, size.smtputf8];
  return fields.map((value) => {
    if (!Number.isSafeInteger(value)) throw new RangeError(`bad size field ${value}`);
    return String(value).padStart(SIZE_FIELD_WIDTH, ' ');
  }).join(' ');
}

/** Parses as sscanf("%ld ...") would: leading numbers, later fields optional (older
 *  Postfix versions wrote fewer). Undefined when the first two are missing. */
export function parseSizeRecord(text: string): SizeRecord | undefined {
  const numbers: number[] = [];
  let at = 0;
  for (let field = 0; field < 6; field++) {
    // /^\s*([+-]?\d+)/ at `at`, without a regular expression or a slice per field.
    let start = at;
    while (start < text.length && isPatternSpace(text.charCodeAt(start))) start++;
    let digits = start;
    const sign = text.charCodeAt(digits);
    if (sign === 0x2b || sign === 0x2d) digits++;
    let end = digits;
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    if (end === digits) break;
    numbers.push(Number(text.slice(start, end)));
    at = end;
  }
  if (numbers.length < 2) return undefined;
  const [contentSize = 0, dataOffset = 0, recipientCount = 0, qmgrFlags = 0, contentLength = contentSize, smtputf8 = 0] = numbers;
  return { contentSize, dataOffset, recipientCount, qmgrFlags, contentLength, smtputf8 };
}

/** Digits one field may have for the bytes to be summed exactly (below 2^53); a longer
 *  field is parsed from its text, as Number() rounds it. */
const EXACT_DIGITS_MAX = 15;

/** parseSizeRecord(latin1(payload)) without making the text: the size record is read at
 *  every queue file read. Each byte is the code unit latin1 gives it; spaces as \s judges
 *  them (0x09-0x0d, 0x20, 0xa0: no byte reaches the other Unicode spaces). */
export function parseSizeRecordBytes(payload: Uint8Array): SizeRecord | undefined {
  const length = payload.length;
  let contentSize = 0;
  let dataOffset = 0;
  let recipientCount = 0;
  let qmgrFlags = 0;
  let contentLength = 0;
  let smtputf8 = 0;
  let fields = 0;
  let at = 0;
  for (; fields < 6; fields++) {
    let start = at;
    while (start < length && isByteSpace(payload[start] as number)) start++;
    let digits = start;
    const sign = start < length ? payload[start] as number : -1;
    if (sign === 0x2b || sign === 0x2d) digits++;
    let end = digits;
    while (end < length && isDigit(payload[end] as number)) end++;
    if (end === digits) break;
    let value = 0;
    if (end - digits <= EXACT_DIGITS_MAX) {
      for (let index = digits; index < end; index++) value = value * 10 + ((payload[index] as number) - 0x30);
      if (sign === 0x2d) value = -value;
    } else {
      let text = '';
      for (let index = start; index < end; index++) text += String.fromCharCode(payload[index] as number);
      value = Number(text);
    }
    switch (fields) {
      case 0: contentSize = value; break;
      case 1: dataOffset = value; break;
      case 2: recipientCount = value; break;
      case 3: qmgrFlags = value; break;
      case 4: contentLength = value; break;
      default: smtputf8 = value; break;
    }
    at = end;
  }
  if (fields < 2) return undefined;
  if (fields < 5) contentLength = contentSize;
  return { contentSize, dataOffset, recipientCount, qmgrFlags, contentLength, smtputf8 };
}

function isByteSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0;
}

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

/** What \s matches in a regular expression (the payload is latin1 text, but any code unit
 *  is judged as \s would judge it). */
function isPatternSpace(code: number): boolean {
  if (code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0) return true;
  if (code < 0x1680) return false;
  return code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029
    || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/** split_nameval's white space: ' ', \t, \n, \r, \f, \v (by code unit). */
function isNameValueSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** "name = value" split as Postfix's split_nameval: the error text, or the pair. */
export function splitNameValue(text: string): { name: string; value: string } | string {
  const length = text.length;
  let at = 0;
  while (at < length && isNameValueSpace(text.charCodeAt(at))) at++;
  if (at >= length || text.charCodeAt(at) === 0x3d) return 'missing attribute name';
  const nameStart = at;
  while (at < length) {
    const code = text.charCodeAt(at);
    if (isNameValueSpace(code) || code === 0x3d) break;
    at++;
  }
  const name = text.slice(nameStart, at);
  while (at < length && isNameValueSpace(text.charCodeAt(at))) at++;
  if (at >= length || text.charCodeAt(at) !== 0x3d) return "missing '=' after attribute name";
  at++;
  while (at < length && isNameValueSpace(text.charCodeAt(at))) at++;
  let end = length;
  while (end > at && isNameValueSpace(text.charCodeAt(end - 1))) end--;
  return { name, value: text.slice(at, end) };
}

/** An attribute record's name and value, or undefined when it is malformed. */
export function parseAttribute(text: string): { name: string; value: string } | undefined {
  const split = splitNameValue(text);
  return typeof split === 'string' ? undefined : split;
}
