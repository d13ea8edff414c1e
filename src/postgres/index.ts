/** `samsa/postgres`: the PostgreSQL offset store for `run({ offsetStore })`. Needs the `pg` package. */

export type { FencedOffset, OffsetClaim, OffsetStore } from '../processing/offset-store.ts'
export { OffsetStoreFencedError } from '../processing/processing-guarantee.ts'
export { PostgresOffsetStore, type PostgresOffsetStoreOptions } from './postgres-offset-store.ts'
