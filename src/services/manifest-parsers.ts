import { createRequire } from 'node:module'
import { parsePipRequirementsFile } from 'pip-requirements-js'
import { parse as parseYaml } from 'yaml'
import type { Artifact } from '../db/models.js'

/**
 * Packages read from uploaded manifests with maintained parsers: npm's package-lock.json and
 * npm-shrinkwrap.json (JSON, lockfile versions 1 to 3), yarn.lock (v1 by @yarnpkg/lockfile, Berry's
 * YAML by `yaml`), and pip requirements files (pip-requirements-js). Every other file, and a file
 * its parser refuses, yields nothing: a scan never claims a package it did not read.
 */

// CommonJS whose bundle sets `__esModule`: its default export differs between Node and Vite; require is the same everywhere.
const yarnLockfileV1 = createRequire(import.meta.url)('@yarnpkg/lockfile') as typeof import('@yarnpkg/lockfile').default

type Parser = (text: string, manifest: string) => Artifact[]

const REQUIREMENTS = [
  /(^|\/)[^/]*requirements\.txt$/,
  /(^|\/)requirements\/[^/]+\.txt$/,
  /(^|\/)requirements[-_][^/]*\.txt$/,
  /(^|\/)requirements\.frozen$/,
]

function parserFor(path: string): Parser | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase()
  if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') return npmLockfile
  if (base === 'yarn.lock') return yarnLockfile
  const lower = path.toLowerCase()
  if (REQUIREMENTS.some((pattern) => pattern.test(lower))) return requirementsFile
  return undefined
}

/** The packages of every file, deduplicated per manifest, in path then name order (whatever the upload order). */
export function readArtifacts(files: { path: string; content: Buffer }[]): Artifact[] {
  const artifacts: Artifact[] = []
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const parser = parserFor(file.path)
    if (!parser) continue
    let found: Artifact[]
    try {
      found = parser(file.content.toString('utf8'), file.path)
    } catch {
      continue
    }
    const seen = new Set<string>()
    for (const artifact of found.sort(byNameThenVersion)) {
      const key = `${artifact.type}\u0000${artifact.name}\u0000${artifact.version}`
      if (seen.has(key)) continue
      seen.add(key)
      artifacts.push(artifact)
    }
  }
  return artifacts
}

function byNameThenVersion(a: Artifact, b: Artifact): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : (a.version ?? '') < (b.version ?? '') ? -1 : 1
}

type NpmLockEntry = { version?: unknown; name?: unknown; link?: unknown; dependencies?: unknown }

function npmLockfile(text: string, manifest: string): Artifact[] {
  const lock = JSON.parse(text) as {
    packages?: Record<string, NpmLockEntry>
    dependencies?: Record<string, NpmLockEntry>
  }
  const artifacts: Artifact[] = []
  if (lock.packages && typeof lock.packages === 'object') {
    // Lockfile v2/v3: keyed by install path; "" is the project itself.
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || !entry || entry.link === true || typeof entry.version !== 'string') continue
      const at = path.lastIndexOf('node_modules/')
      const name = typeof entry.name === 'string' ? entry.name : at >= 0 ? path.slice(at + 'node_modules/'.length) : ''
      if (name) artifacts.push({ type: 'npm', name, version: entry.version, manifest })
    }
    return artifacts
  }
  // Lockfile v1: nested `dependencies`.
  const walk = (dependencies: unknown) => {
    if (!dependencies || typeof dependencies !== 'object') return
    for (const [name, entry] of Object.entries(dependencies as Record<string, NpmLockEntry>)) {
      if (entry && typeof entry.version === 'string' && !entry.version.startsWith('file:')) {
        artifacts.push({ type: 'npm', name, version: entry.version, manifest })
      }
      walk(entry?.dependencies)
    }
  }
  walk(lock.dependencies)
  return artifacts
}

/** `name@range` or `@scope/name@npm:range` → the package name. */
function nameOfDescriptor(descriptor: string): string {
  const at = descriptor.indexOf('@', 1)
  return (at > 0 ? descriptor.slice(0, at) : descriptor).trim()
}

function yarnLockfile(text: string, manifest: string): Artifact[] {
  const entries: [string, unknown][] = text.includes('__metadata:')
    ? Object.entries((parseYaml(text) ?? {}) as Record<string, { version?: unknown }>)
        .filter(([key]) => key !== '__metadata')
        .map(([key, value]) => [key, value?.version])
    : (() => {
        const parsed = yarnLockfileV1.parse(text)
        if (parsed.type !== 'success') throw new Error('yarn.lock has merge conflicts')
        return Object.entries(parsed.object).map(([key, value]) => [key, value.version] as [string, unknown])
      })()
  const artifacts: Artifact[] = []
  for (const [key, version] of entries) {
    const descriptor = key.split(',')[0]?.trim().replace(/^"|"$/g, '') ?? ''
    // Berry lists the project's own workspaces too (`name@workspace:.`): they are not dependencies.
    if (typeof version !== 'string' || descriptor.includes('@workspace:')) continue
    const name = nameOfDescriptor(descriptor)
    if (name) artifacts.push({ type: 'npm', name, version, manifest })
  }
  return artifacts
}

function requirementsFile(text: string, manifest: string): Artifact[] {
  const artifacts: Artifact[] = []
  for (const requirement of parsePipRequirementsFile(text)) {
    if (requirement.type !== 'ProjectName') continue
    const specs = requirement.versionSpec ?? []
    const [only] = specs
    // Only an exact pin names a version; a range is a package without one.
    const version = specs.length === 1 && only && ['==', '==='].includes(String(only.operator)) ? only.version : null
    artifacts.push({ type: 'pypi', name: requirement.name.toLowerCase().replace(/[-_.]+/g, '-'), version, manifest })
  }
  return artifacts
}
