export function emitErrorCodesModule(): string | undefined {
  return undefined
}
