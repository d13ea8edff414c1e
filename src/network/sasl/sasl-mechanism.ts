/**
 * One SASL exchange, seen from the client: given what the server last sent (nothing, at first), produce
 * the next message, until the mechanism is satisfied. Mechanisms know nothing of Kafka's framing; the
 * authenticator carries their bytes in SaslAuthenticate requests.
 */
export interface SaslExchange {
  /**
   * The next message for the server, or `null` when the exchange is complete. `challenge` is undefined
   * for the first message. Throws when the server's message is unacceptable (e.g. a SCRAM server
   * signature that does not verify).
   */
  respond(challenge: Buffer | undefined): Promise<Buffer | null>
  /** What the server told the mechanism about a failure, when the mechanism has such a channel. */
  describeFailure?(): string | undefined
}
