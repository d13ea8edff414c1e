/**
 * Splitting a byte stream into lines without holding more than one chunk in memory. Consuming the generator
 * with `for await` pauses the source between chunks, so a producer that awaits each line slows the reader
 * down instead of buffering all of stdin.
 */

const newline = 0x0a
const carriageReturn = 0x0d

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === carriageReturn
    ? line.subarray(0, line.length - 1)
    : line
}

/**
 * Yields each `\n`-terminated line of `source` without its terminator (a `\r` before it is dropped too, so
 * CRLF input works). Empty lines are kept: they are records with an empty value. A last line without a
 * terminator is yielded; an input ending in `\n` does not yield an extra empty line.
 */
export async function* splitLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let pending: Buffer | null = null
  for await (const piece of source) {
    let chunk = typeof piece === 'string' ? Buffer.from(piece) : piece
    if (pending !== null) {
      chunk = Buffer.concat([pending, chunk])
      pending = null
    }
    let start = 0
    let end = chunk.indexOf(newline, start)
    while (end !== -1) {
      yield withoutCarriageReturn(chunk.subarray(start, end))
      start = end + 1
      end = chunk.indexOf(newline, start)
    }
    // Copy the tail: keeping a view would pin the whole chunk until the next newline arrives.
    if (start < chunk.length) pending = Buffer.from(chunk.subarray(start))
  }
  if (pending !== null) yield withoutCarriageReturn(pending)
}

/** Splits a line at the first `separator`: the part before is the key, the rest the value. */
export function splitKeyValue(line: Buffer, separator: Buffer): { key: Buffer | null; value: Buffer } {
  const at = line.indexOf(separator)
  if (at === -1) return { key: null, value: line }
  return { key: line.subarray(0, at), value: line.subarray(at + separator.length) }
}
