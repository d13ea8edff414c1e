/**
 * Output helpers of the admin commands (`groups`, `share-groups`): aligned tables on stdout, JSON with
 * bigints as strings (JSON numbers lose precision above 2^53), and notes on stderr.
 */

/** A note for the person at the terminal, on stderr so that stdout stays data. */
export const notice = (line: string): void => {
  process.stderr.write(`samsa: ${line}\n`)
}

/** `null` prints as `-`, as in Kafka's tools. */
export const cell = (value: bigint | number | string | null): string => (value === null ? '-' : String(value))

/** JSON with bigints as strings. */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_key, entry: unknown) => (typeof entry === 'bigint' ? entry.toString() : entry))

/** Rows (the first is the header) as columns padded to their widest cell, two spaces apart. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows
    .map((row) =>
      row
        .map((text, column) => text.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
