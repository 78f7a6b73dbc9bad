/** CRC16/XMODEM, the checksum Redis Cluster hashes keys with. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/**
 * The cluster slot of a Redis key: CRC16 of its hash tag (the text between
 * the first `{` and the next `}`, when not empty) or of the whole key, mod
 * 16384. Computed here to group a batch's requests per slot.
 *
 * @example
 * keySlot('{flowgate:user42}:fw:60000'); // the slot of 'flowgate:user42'
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  let from = 0;
  let to = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      from = open + 1;
      to = close;
    }
  }
  let crc = 0;
  for (let i = from; i < to; i++)
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number);
  return crc % 16384;
}
