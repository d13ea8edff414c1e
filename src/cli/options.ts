/** Parsers for option values shared by command modules; they reject bad input with a message naming the flag. */

import { InvalidArgumentError } from 'commander'

/** A commander argument parser accepting a TCP port number. */
export function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`expected a port from 1 to 65535, got ${JSON.stringify(value)}`)
  }
  return port
}

/** A commander argument parser accepting a non-negative integer. */
export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`expected a non-negative integer, got ${JSON.stringify(value)}`)
  }
  return Number(value)
}
