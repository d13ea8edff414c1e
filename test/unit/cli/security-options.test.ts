import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clientSecurity } from '../../../src/cli/data/security-options.ts'
import { ConfigError } from '../../../src/common/errors.ts'

describe('CLI security flags', () => {
  it('sets nothing without flags', () => {
    expect(clientSecurity({})).toEqual({})
  })

  it('reads the CA file and implies TLS', () => {
    const ca = join(tmpdir(), `samsa-ca-${process.pid}.pem`)
    writeFileSync(ca, 'pem bytes')
    expect(clientSecurity({ tlsCa: ca, tlsServername: 'kafka.local' })).toEqual({
      tls: { ca: Buffer.from('pem bytes'), servername: 'kafka.local' },
    })
  })

  it('builds SASL options and names the missing flag, never the password', () => {
    expect(clientSecurity({ saslMechanism: 'scram-sha-256', saslUsername: 'u', saslPassword: 'p' })).toEqual({
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    })
    const error = (() => {
      try {
        clientSecurity({ saslMechanism: 'plain', saslPassword: 'hunter2' })
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect(error!.option).toBe('--sasl-username')
    expect(error!.message).not.toContain('hunter2')
  })

  it('re-reads the OAUTHBEARER token file at every authentication', async () => {
    const file = join(tmpdir(), `samsa-token-${process.pid}`)
    writeFileSync(file, 'first\n')
    const { sasl } = clientSecurity({ saslMechanism: 'oauthbearer', saslTokenFile: file })
    const token = (sasl as { token: () => string }).token
    expect(token()).toBe('first')
    writeFileSync(file, 'second')
    expect(token()).toBe('second')
  })
})
