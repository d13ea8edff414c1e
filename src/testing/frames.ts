/**
 * Frame boundaries for the test proxies (frame-proxy.ts, and the chaos suite's fault proxy), which act on
 * whole Kafka responses: hold them, drop them, or cut one in half.
 */

/**
 * A socket data handler that reassembles size-prefixed Kafka frames from a stream and passes each whole
 * frame (size prefix included) on. It trusts the sizes: it sits between a client and a broker in tests.
 */
export function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0)
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4) {
      const size = 4 + pending.readInt32BE(0)
      if (pending.length < size) break
      onFrame(pending.subarray(0, size))
      pending = pending.subarray(size)
    }
  }
}
