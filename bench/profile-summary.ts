/**
 * Summarizes a V8 .cpuprofile (from `--profile` of the bench, or `node --cpu-prof`): self time and
 * inclusive time aggregated by function (name + file:line), and self time by area (a package of
 * node_modules, a file of src/, node internals, GC, idle).
 *
 *   node --import tsx bench/profile-summary.ts bench/results/profiles/getRepo.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface FunctionCost {
  function: string
  location: string
  area: string
  selfMs: number
  totalMs: number
}

export interface ProfileSummary {
  /** Sampled time, idle excluded. */
  busyMs: number
  idleMs: number
  functions: FunctionCost[]
  areas: { area: string; selfMs: number }[]
}

const root = process.cwd()

function shortUrl(url: string): string {
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url
  if (path.startsWith(`${root}/`)) path = path.slice(root.length + 1)
  return path
}

/** Where a frame belongs: `node_modules/<pkg>`, `src/<file>`, `node:internal`, `(native)`, `(gc)`… */
export function areaOf(frame: CallFrame): string {
  const name = frame.functionName
  if (name === '(garbage collector)') return '(gc)'
  if (name === '(idle)' || name === '(program)' || name === '(root)') return name
  const url = shortUrl(frame.url)
  if (url === '') return '(native: addons, builtins)'
  if (url.startsWith('node:')) return 'node: internals'
  const modules = url.lastIndexOf('node_modules/')
  if (modules !== -1) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/')
    return `node_modules/${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`
  }
  return url
}

export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  // timeDeltas[i] is the time between sample i-1 and sample i; the time after sample i belongs to it.
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number
    const delta = deltas[i + 1] ?? 0
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta))
  }

  const keyOf = (frame: CallFrame) =>
    `${frame.functionName || '(anonymous)'}\u0000${shortUrl(frame.url)}:${frame.lineNumber + 1}`
  const functions = new Map<string, FunctionCost>()
  const entry = (frame: CallFrame): FunctionCost => {
    const key = keyOf(frame)
    let cost = functions.get(key)
    if (!cost) {
      const url = shortUrl(frame.url)
      cost = {
        function: frame.functionName || '(anonymous)',
        location: url ? `${url}:${frame.lineNumber + 1}` : '',
        area: areaOf(frame),
        selfMs: 0,
        totalMs: 0,
      }
      functions.set(key, cost)
    }
    return cost
  }

  // Inclusive time: each node's subtree, counted once per function even through recursion.
  const totals = new Map<number, number>()
  const subtree = (id: number): number => {
    const cached = totals.get(id)
    if (cached !== undefined) return cached
    const node = byId.get(id)
    let sum = selfUs.get(id) ?? 0
    for (const child of node?.children ?? []) sum += subtree(child)
    totals.set(id, sum)
    return sum
  }
  const rootNode = profile.nodes[0]
  if (rootNode) {
    const stack: { id: number; open: Set<string> }[] = [{ id: rootNode.id, open: new Set() }]
    while (stack.length > 0) {
      const { id, open } = stack.pop() as { id: number; open: Set<string> }
      const node = byId.get(id)
      if (!node) continue
      const key = keyOf(node.callFrame)
      const cost = entry(node.callFrame)
      cost.selfMs += (selfUs.get(id) ?? 0) / 1000
      let childOpen = open
      if (!open.has(key)) {
        cost.totalMs += subtree(id) / 1000
        childOpen = new Set(open).add(key)
      }
      for (const child of node.children ?? []) stack.push({ id: child, open: childOpen })
    }
  }

  const areas = new Map<string, number>()
  for (const cost of functions.values()) areas.set(cost.area, (areas.get(cost.area) ?? 0) + cost.selfMs)
  const idleMs = areas.get('(idle)') ?? 0
  const allMs = [...areas.values()].reduce((a, b) => a + b, 0)
  return {
    busyMs: allMs - idleMs,
    idleMs,
    functions: [...functions.values()].filter((f) => f.area !== '(idle)' && f.area !== '(root)'),
    areas: [...areas.entries()]
      .filter(([area]) => area !== '(idle)' && area !== '(root)')
      .map(([area, selfMs]) => ({ area, selfMs }))
      .sort((a, b) => b.selfMs - a.selfMs),
  }
}

/**
 * A readable report: top self time, top inclusive time in src/, and self time by area. With the number
 * of requests the profile covers, each line also says how many µs that is per request.
 */
export function formatSummary(summary: ProfileSummary, top = 20, requests?: number): string {
  const share = (ms: number) => `${((100 * ms) / Math.max(1, summary.busyMs)).toFixed(1).padStart(5)}%`
  const perRequest = (ms: number) => (requests ? `${((1000 * ms) / requests).toFixed(1).padStart(6)} µs/req` : '')
  const pct = (ms: number) => `${share(ms)}${requests ? ` ${perRequest(ms)}` : ''}`
  const ms = (v: number) => v.toFixed(0).padStart(7)
  const lines: string[] = []
  lines.push(
    `busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms` +
      (requests ? `, ${requests} requests: ${perRequest(summary.busyMs).trim()} of CPU` : ''),
  )
  lines.push('', `top ${top} by self time:`)
  for (const f of [...summary.functions].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) {
    lines.push(`  ${ms(f.selfMs)} ms ${pct(f.selfMs)}  ${f.function}  ${f.location || f.area}`)
  }
  lines.push('', `top ${top} of src/ and bench/ by inclusive time:`)
  const own = summary.functions.filter((f) => f.area.startsWith('src/') || f.area.startsWith('bench/'))
  for (const f of own.sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) {
    lines.push(`  ${ms(f.totalMs)} ms ${pct(f.totalMs)}  ${f.function}  ${f.location}`)
  }
  lines.push('', 'self time by area:')
  for (const a of summary.areas.slice(0, top)) lines.push(`  ${ms(a.selfMs)} ms ${pct(a.selfMs)}  ${a.area}`)
  return lines.join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' }, requests: { type: 'string' } },
  })
  if (positionals.length === 0) {
    process.stderr.write(
      'usage: node --import tsx bench/profile-summary.ts <file.cpuprofile>… [--top N] [--requests N]\n',
    )
    process.exit(2)
  }
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
    const requests = values.requests === undefined ? undefined : Number(values.requests)
    process.stdout.write(`== ${file}\n${formatSummary(summarize(profile), Number(values.top), requests)}\n\n`)
  }
}
