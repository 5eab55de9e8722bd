import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { root } from './helpers/process.js'

/** Every TypeScript file under src/, with the modules it imports at run time (type-only imports aside). */
function sources(): { file: string; imports: string[] }[] {
  const src = join(root, 'src')
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => {
      const text = readFileSync(join(src, file), 'utf8')
      const imports = [...text.matchAll(/^(?:import|export)(?! type)[^'"]*?from '([^']+)'/gm)].map((m) => m[1] ?? '')
      return { file: relative(src, join(src, file)), imports }
    })
}

const layer = (file: string) => file.split('/')[0] ?? ''

/** Per file of src/, the files of src/ it imports, type-only imports included. */
function moduleGraph(): Map<string, string[]> {
  const src = join(root, 'src')
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.d.ts'),
  )
  return new Map(
    files.map((file) => {
      const text = readFileSync(join(src, file), 'utf8')
      const imported = [...text.matchAll(/^(?:import|export)[^'"]*?from '(\.[^']+)'/gm)].map((m) =>
        relative(src, join(src, dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'))),
      )
      return [file, imported.filter((target) => files.includes(target))]
    }),
  )
}

/** The import cycles of a graph: its strongly connected components of more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string | undefined
    do {
      w = stack.pop()
      if (w !== undefined) component.push(w)
    } while (w !== undefined && w !== v)
    if (component.length > 1) found.push(component.sort())
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

describe('layering: http → services → db', () => {
  const files = sources()

  it('reads the imports of every layer (multi-line ones too)', () => {
    const of = (file: string) => files.find((f) => f.file === file)?.imports ?? []
    expect(of('db/sqlite/repositories/repo-repository.ts')).toContain('drizzle-orm')
    expect(of('http/plugins/error-handler.ts')).toContain('../../services/errors.js')
    expect(of('app.ts')).toContain('./db/index.js')
  })

  it('keeps SQLite, PostgreSQL and drizzle inside src/db', () => {
    const offenders = files.filter(
      (f) => layer(f.file) !== 'db' && f.imports.some((i) => /^(drizzle-orm|better-sqlite3|pg$)/.test(i)),
    )
    expect(offenders.map((f) => f.file)).toEqual([])
  })

  it('lets http reach the database only through services (types of plain data aside)', () => {
    const offenders = files.filter((f) => layer(f.file) === 'http' && f.imports.some((i) => /\/db\//.test(i)))
    expect(offenders.map((f) => f.file)).toEqual([])
  })

  it('keeps services free of HTTP', () => {
    const offenders = files.filter(
      (f) => layer(f.file) === 'services' && f.imports.some((i) => /^fastify|^@fastify|\/http\//.test(i)),
    )
    expect(offenders.map((f) => f.file)).toEqual([])
  })

  it('keeps db from reaching up', () => {
    const offenders = files.filter(
      (f) => layer(f.file) === 'db' && f.imports.some((i) => /\/(services|http|cli)\//.test(i)),
    )
    expect(offenders.map((f) => f.file)).toEqual([])
  })

  it('lets handlers return data only: no handler sees the reply', () => {
    const handlers = files.filter((f) => f.file.startsWith('http/handlers/'))
    expect(handlers.length).toBeGreaterThan(0)
    const offenders = handlers.filter((f) => /\bFastifyReply\b/.test(readFileSync(join(root, 'src', f.file), 'utf8')))
    expect(offenders.map((f) => f.file)).toEqual([])
  })

  it('has no import cycle between modules of src/, type-only imports included', () => {
    const graph = moduleGraph()
    expect(graph.get('services/quota-service.ts')).toContain('services/principal.ts')
    expect(cycles(new Map([...graph, ['a.ts', ['b.ts']], ['b.ts', ['a.ts']]]))).toEqual([['a.ts', 'b.ts']])
    expect(cycles(graph)).toEqual([])
  })

  it('leaves process.env to config.ts', () => {
    const readers = files.filter((f) => readFileSync(join(root, 'src', f.file), 'utf8').includes('process.env'))
    expect(readers.map((f) => f.file)).toEqual(['config.ts'])
  })
})

describe('production launch', () => {
  it('runs with the same node flags in npm start, the Dockerfile and the benchmark', () => {
    const text = (file: string) => readFileSync(join(root, file), 'utf8')
    const start = (JSON.parse(text('package.json')) as { scripts: { start: string } }).scripts.start
    const fromStart = /node ((?:--\S+ )*)dist\/server\.js/.exec(start)?.[1]?.trim().split(' ')
    const cmd = /^CMD (\[.*\])$/m.exec(text('Dockerfile'))?.[1] ?? '[]'
    const fromDocker = (JSON.parse(cmd) as string[]).filter((arg) => arg.startsWith('--'))
    const constant = /PRODUCTION_NODE_FLAGS = (\[.*\])/.exec(text('bench/run.ts'))?.[1] ?? '[]'
    const fromBench = JSON.parse(constant.replaceAll("'", '"')) as string[]
    expect(fromStart).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=50'])
    expect(fromDocker).toEqual(fromStart)
    expect(fromBench).toEqual(fromStart)
  })
})

describe('test projects (vitest.config.ts)', () => {
  /** The `processTests` patterns of vitest.config.ts, as written. */
  const processTests = (): string[] => {
    const config = readFileSync(join(root, 'vitest.config.ts'), 'utf8')
    const list = /export const processTests = \[([^\]]*)\]/.exec(config)?.[1] ?? ''
    return [...list.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '')
  }
  const matches = (file: string, pattern: string) =>
    pattern.includes('**/') ? file.startsWith(pattern.slice(0, pattern.indexOf('**/'))) : file === pattern

  it('puts every suite that starts a child process in the process project', () => {
    const suites = readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => `test/${file}`)
    const starting = suites.filter((file) => {
      const text = readFileSync(join(root, file), 'utf8')
      const helpers = /import \{([^}]*)\} from '(?:\.\.?\/)+helpers\/process\.js'/.exec(text)?.[1] ?? ''
      return /\b(run|runCli|startServer)\b/.test(helpers) || /^import .* from 'node:child_process'$/m.test(text)
    })
    expect(starting).toContain('test/admin-cli.test.ts')
    expect(starting).toContain('test/official-cli.test.ts')
    const patterns = processTests()
    // test/scale has a config of its own (vitest.scale.config.ts): it needs PostgreSQL.
    expect(
      starting.filter((file) => !file.startsWith('test/scale/') && !patterns.some((pattern) => matches(file, pattern))),
    ).toEqual([])
  })

  it('leaves the PostgreSQL-only scale suite out of `npm test` and runs it with `npm run test:scale`', () => {
    const config = readFileSync(join(root, 'vitest.config.ts'), 'utf8')
    expect(config.match(/'test\/scale\/\*\*'/g)).toHaveLength(2)
    const scale = readFileSync(join(root, 'vitest.scale.config.ts'), 'utf8')
    expect(scale).toContain("include: ['test/scale/**/*.test.ts']")
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>
    expect(scripts['test:scale']).toBe('vitest run --config vitest.scale.config.ts')
  })
})
