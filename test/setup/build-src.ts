import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder laid out like the package (dist/, openapi/, migrations/, …) with src/ compiled once for this run. */
    srcBuild: string
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Global setup of the process project: its suites start the server and the admin CLI as child
 * processes, often dozens per file. Through tsx each child compiles the TypeScript it loads (seconds
 * of CPU on a loaded 2-core machine); here src/ is compiled once per run, file by file as
 * `npm run build` lays it out (dist/ beside openapi/, migrations/, package.json and node_modules,
 * which are linked), and the children run plain JavaScript. The files are TypeScript's
 * transpileModule output: the code of src/ as it is now, type errors or not, like tsx.
 */
export default function setup(project: TestProject): () => void {
  const out = mkdtempSync(join(tmpdir(), 'srs-build-'))
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
  }
  const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.d.ts'),
  )
  for (const file of sources) {
    const { outputText } = ts.transpileModule(readFileSync(join(root, 'src', file), 'utf8'), {
      compilerOptions,
      fileName: file,
    })
    const target = join(out, 'dist', file.replace(/\.ts$/, '.js'))
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, outputText)
  }
  for (const name of ['package.json', 'openapi', 'migrations', 'node_modules']) {
    symlinkSync(join(root, name), join(out, name))
  }
  project.provide('srcBuild', out)
  return () => rmSync(out, { recursive: true, force: true })
}
