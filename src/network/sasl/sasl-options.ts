/** What a user configures to authenticate with SASL. */

/** Username and password mechanisms. */
export interface SaslPasswordOptions {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  username: string
  password: string
}

/** An OAuth 2 bearer token, with optional SASL extensions (KIP-342) the broker may require. */
export interface OAuthBearerToken {
  /** The compact-serialized token (a JWT, for most identity providers). */
  value: string
  /** `key=value` pairs sent alongside the token; keys are letters only, `auth` is reserved. */
  extensions?: Record<string, string>
}

/**
 * OAUTHBEARER. `token` is called on every new connection and before every re-authentication, so it
 * should cache its token and fetch a new one shortly before the old one expires.
 */
export interface SaslOAuthBearerOptions {
  mechanism: 'oauthbearer'
  token: () => Promise<string | OAuthBearerToken> | string | OAuthBearerToken
}

/** SASL settings of a client. */
export type SaslOptions = SaslPasswordOptions | SaslOAuthBearerOptions

/** The name the broker knows each mechanism by. */
export const SASL_MECHANISM_NAMES = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
  oauthbearer: 'OAUTHBEARER',
} as const satisfies Record<SaslOptions['mechanism'], string>
