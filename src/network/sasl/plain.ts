/** SASL PLAIN (RFC 4616): one message carrying the credentials; only safe over TLS. */

import type { SaslExchange } from './sasl-mechanism.ts'

export function plainExchange(username: string, password: string): SaslExchange {
  let sent = false
  return {
    respond: async () => {
      if (sent) return null
      sent = true
      // authzid (empty: act as the authenticated user) NUL authcid NUL password
      return Buffer.from(`\0${username}\0${password}`, 'utf8')
    },
  }
}
