/** The contract every compression codec implements, built-in or registered by an add-on. */

/** What a decompression may produce at most. */
export interface DecompressLimits {
  /**
   * The most bytes the decompressed output may have. A codec must stop and throw (any error) as soon as the
   * output would exceed it, without allocating beyond it: this is what keeps a compression bomb (a few KiB
   * that inflate to gigabytes) from exhausting memory.
   */
  maxOutputBytes: number
}

/** Compresses and decompresses the records section of a record batch. */
export interface CompressionCodec {
  compress(data: Buffer): Promise<Buffer>
  decompress(data: Buffer, limits: DecompressLimits): Promise<Buffer>
}
