/**
 * The states of a transactional producer and the moves between them. Kept apart from the I/O so the
 * rules can be read (and tested) on their own.
 *
 * ```
 * uninitialized ─initTransactions()─▶ initializing ─▶ ready ─beginTransaction()─▶ in-transaction
 *       ▲                                  │            ▲                              │   │
 *       └──────── retriable failure ───────┘            │        commitTransaction()   │   │ abortTransaction()
 *                                                       ├──────── committing ◀─────────┘   │
 *                                                       └──────── aborting ◀───────────────┤
 *                                           abortable-error ─abortTransaction()─▶ aborting │
 *                                                  ▲ a send or an offset commit failed ────┘
 * fatal-error: fenced or otherwise unusable; reachable from every state but uninitialized, and final.
 * ```
 */

export type TransactionState =
  | 'uninitialized'
  | 'initializing'
  | 'ready'
  | 'in-transaction'
  | 'committing'
  | 'aborting'
  | 'abortable-error'
  | 'fatal-error'

const transitions: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  uninitialized: ['initializing'],
  initializing: ['ready', 'uninitialized', 'fatal-error'],
  ready: ['in-transaction', 'fatal-error'],
  // A commit or abort interrupted by a timeout stays in its state and is finished by calling it again.
  'in-transaction': ['committing', 'aborting', 'abortable-error', 'fatal-error'],
  committing: ['ready', 'abortable-error', 'fatal-error'],
  aborting: ['ready', 'fatal-error'],
  'abortable-error': ['aborting', 'fatal-error'],
  'fatal-error': [],
}

/** True when a producer in state `from` may move to `to`. */
export function canTransition(from: TransactionState, to: TransactionState): boolean {
  return from === to || transitions[from].includes(to)
}

/** What each public operation needs, worded for the error a user sees when the state is wrong. */
export function stateProblem(
  operation:
    | 'initTransactions'
    | 'beginTransaction'
    | 'send'
    | 'sendOffsetsToTransaction'
    | 'commitTransaction'
    | 'abortTransaction',
  state: TransactionState,
): string | null {
  switch (operation) {
    case 'initTransactions':
      if (state === 'uninitialized') return null
      return 'initTransactions() was already called; call it once per producer'
    case 'beginTransaction':
      if (state === 'ready') return null
      if (state === 'uninitialized') return 'call initTransactions() before beginTransaction()'
      if (state === 'in-transaction' || state === 'abortable-error') {
        return 'a transaction is already open; commit or abort it before beginning another'
      }
      return `cannot begin a transaction while the producer is ${describeState(state)}`
    case 'send':
    case 'sendOffsetsToTransaction': {
      if (state === 'in-transaction') return null
      const what = operation === 'send' ? 'send records' : 'send offsets'
      if (state === 'uninitialized')
        return `call initTransactions() and beginTransaction() before you ${what}`
      if (state === 'ready')
        return `a transactional producer can only ${what} inside a transaction; call beginTransaction() first`
      return `cannot ${what} while the producer is ${describeState(state)}`
    }
    case 'commitTransaction':
      if (state === 'in-transaction' || state === 'committing') return null
      if (state === 'ready' || state === 'uninitialized')
        return 'there is no open transaction to commit; call beginTransaction() first'
      return `cannot commit while the producer is ${describeState(state)}`
    case 'abortTransaction':
      if (state === 'in-transaction' || state === 'abortable-error' || state === 'aborting') return null
      if (state === 'ready' || state === 'uninitialized') return 'there is no open transaction to abort'
      if (state === 'committing')
        return 'a commit is in progress or unfinished; call commitTransaction() again to finish it'
      return `cannot abort while the producer is ${describeState(state)}`
  }
}

function describeState(state: TransactionState): string {
  switch (state) {
    case 'uninitialized':
      return 'not initialized'
    case 'initializing':
      return 'initializing (initTransactions() has not finished)'
    case 'ready':
      return 'between transactions'
    case 'in-transaction':
      return 'in a transaction'
    case 'committing':
      return 'committing a transaction'
    case 'aborting':
      return 'aborting a transaction'
    case 'abortable-error':
      return 'in a failed transaction (abort it)'
    case 'fatal-error':
      return 'failed for good (close it)'
  }
}
