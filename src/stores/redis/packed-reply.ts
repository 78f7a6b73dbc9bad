/**
 * Reads the script's packed reply (see lua/prelude.lua.ts): one MessagePack
 * array, as Redis's `cmsgpack.pack` writes the reply's Lua array, of
 * integers (every number flowgate replies is a whole number below 2^53) and
 * strings (a request's error message). ioredis decodes an array reply of
 * RESP integers one element at a time through several calls, a bound
 * function and private-field lookups per number: a few thousand
 * instructions each, about a quarter of a batched decision's client work.
 * This loop reads one bulk string instead.
 *
 * Returns undefined for anything else (a value cmsgpack writes that the
 * script never replies, or bytes cut short): the caller reports it as a
 * malformed reply.
 */
export function unpackReply(bytes: Uint8Array): unknown[] | undefined {
  const end = bytes.length;
  if (end === 0) return undefined;
  const head = bytes[0] as number;
  let count: number;
  let at: number;
  if (head >= 0x90 && head <= 0x9f) {
    count = head - 0x90;
    at = 1;
  } else if (head === 0xdc && end >= 3) {
    count = ((bytes[1] as number) << 8) | (bytes[2] as number);
    at = 3;
  } else if (head === 0xdd && end >= 5) {
    count = uint32(bytes, 1);
    at = 5;
  } else {
    return undefined;
  }
  // Each element takes at least one byte: a larger count is not this reply.
  if (count > end - at) return undefined;
  const reply = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    if (at >= end) return undefined;
    const type = bytes[at] as number;
    if (type <= 0x7f) {
      reply[i] = type;
      at += 1;
      continue;
    }
    if (type >= 0xe0) {
      reply[i] = type - 0x100;
      at += 1;
      continue;
    }
    let size: number;
    let value: unknown;
    switch (type) {
      case 0xcc:
        size = 2;
        value = bytes[at + 1];
        break;
      case 0xcd:
        size = 3;
        value = ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
        break;
      case 0xce:
        size = 5;
        value = uint32(bytes, at + 1);
        break;
      case 0xcf:
        size = 9;
        // Exact below 2^53, the range of every number the script replies.
        value = uint32(bytes, at + 1) * 0x100000000 + uint32(bytes, at + 5);
        break;
      case 0xd0:
        size = 2;
        value = ((bytes[at + 1] as number) << 24) >> 24;
        break;
      case 0xd1:
        size = 3;
        value = ((((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number)) << 16) >> 16;
        break;
      case 0xd2:
        size = 5;
        value = uint32(bytes, at + 1) | 0;
        break;
      case 0xd3:
        size = 9;
        value = (uint32(bytes, at + 1) | 0) * 0x100000000 + uint32(bytes, at + 5);
        break;
      case 0xca:
        size = 5;
        value = at + 5 <= end ? new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getFloat32(0) : 0;
        break;
      case 0xcb:
        size = 9;
        value = at + 9 <= end ? new DataView(bytes.buffer, bytes.byteOffset + at + 1, 8).getFloat64(0) : 0;
        break;
      case 0xd9:
        size = 2 + (bytes[at + 1] as number);
        value = text(bytes, at + 2, at + size);
        break;
      case 0xda:
        size = 3 + (((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number));
        value = text(bytes, at + 3, at + size);
        break;
      default:
        if (type >= 0xa0 && type <= 0xbf) {
          size = 1 + type - 0xa0;
          value = text(bytes, at + 1, at + size);
          break;
        }
        return undefined;
    }
    at += size;
    // Cut short (also a size read past the end, NaN): the values read are not the reply's.
    if (!(at <= end)) return undefined;
    reply[i] = value;
  }
  return at === end ? reply : undefined;
}

function uint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x1000000 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  );
}

const decoder = new TextDecoder();

function text(bytes: Uint8Array, from: number, to: number): string {
  return decoder.decode(bytes.subarray(from, Math.min(to, bytes.length)));
}
