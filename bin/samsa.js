#!/usr/bin/env node
// In a checkout the TypeScript sources are present and run directly (Node >= 22.18 strips types), so the
// CLI never runs a stale build; an installed package ships only the compiled dist/.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/main.ts', import.meta.url)
const compiled = new URL('../dist/cli/main.js', import.meta.url)
await import(existsSync(source) ? source.href : compiled.href)
