/**
 * Parses JSON that may contain `//` line comments and `/* *\/` block comments, as Kafka's message schemas do.
 * Comments are blanked out (not removed) so positions in JSON.parse errors still point at the right place.
 */
export function parseJsonWithComments(text: string): unknown {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      // Copy a string literal verbatim, honouring escapes, so `//` inside a string is not a comment.
      const start = i++
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      out += text.slice(start, ++i)
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' '
        i++
      }
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2)
      const stop = close === -1 ? text.length : close + 2
      out += text.slice(i, stop).replace(/[^\n]/g, ' ')
      i = stop
    } else {
      out += c
      i++
    }
  }
  return JSON.parse(out)
}
