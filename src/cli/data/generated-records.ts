/**
 * The records `samsa produce --count N --size BYTES` generates. They are deterministic so a test (or a person
 * with `samsa consume`) can check that every record arrived intact: record `i` has key `key-<i>` and a value
 * that starts with `<i>:` followed by the alphabet, rotated by `i`, repeated to `size` bytes.
 */

const alphabet = 'abcdefghijklmnopqrstuvwxyz'

/** The key of generated record `index`. */
export function generatedKey(index: number): string {
  return `key-${index}`
}

/** Builds generated values of one size, reusing one pattern buffer for all of them. */
export class GeneratedValues {
  readonly size: number
  readonly #pattern: Buffer

  constructor(size: number) {
    this.size = size
    // Long enough that any rotation (< 26) still has `size` bytes after it.
    this.#pattern = Buffer.from(alphabet.repeat(Math.ceil(size / alphabet.length) + 1), 'latin1')
  }

  /** The value of generated record `index`: exactly `size` bytes. */
  valueOf(index: number): Buffer {
    const value = Buffer.allocUnsafe(this.size)
    const prefixLength = value.write(`${index}:`, 0, 'latin1')
    const rotation = index % alphabet.length
    this.#pattern.copy(value, prefixLength, rotation, rotation + this.size - prefixLength)
    return value
  }
}
