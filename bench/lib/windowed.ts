/**
 * Hands `total` records to a client in chunks, keeping at most `window` chunks unacknowledged: enough to keep
 * every client's pipeline full without holding a promise per record.
 */
export async function sendInChunks(
  total: number,
  chunkRecords: number,
  window: number,
  sendChunk: (count: number) => Promise<unknown>,
): Promise<void> {
  const inFlight = new Set<Promise<unknown>>()
  for (let sent = 0; sent < total; sent += chunkRecords) {
    const sending = sendChunk(Math.min(chunkRecords, total - sent))
    inFlight.add(sending)
    void sending.then(
      () => inFlight.delete(sending),
      () => {},
    )
    if (inFlight.size >= window) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}
