import type { Artifact } from '../db/models.js'

/**
 * The comparison of two scans' packages (docs/diff-scans.md). A package is its ecosystem, name and
 * version, found in one or more manifests of a scan. Between the scan before and the scan after:
 * - `unchanged`: the same package in both;
 * - `updated`: a version of a package (ecosystem and name) that only the after scan has, while the
 *   before scan had other versions of it and the after scan none of those: the version changed. It
 *   carries the versions it replaced;
 * - `added` / `removed`: every other package only the after / only the before scan has;
 * - `replaced` (Socket: "the same package supplied by a different source") is never derived: no
 *   parser here records where a package comes from, so it is always empty.
 */

export type DiffType = 'added' | 'removed' | 'unchanged' | 'updated' | 'replaced'

/** A package of one scan and the manifests it was read from. */
export interface ScanPackage {
  type: string
  name: string
  version: string | null
  manifests: string[]
}

export interface DiffEntry {
  diffType: DiffType
  /** The package as the after scan has it (`removed`: as the before scan had it). */
  package: ScanPackage
  /** Where the after scan has it (none for `removed`). */
  head: ScanPackage[]
  /** Where the before scan had it: the same package, or for `updated` the versions it replaced. */
  base: ScanPackage[]
}

export interface ScanDiff {
  added: DiffEntry[]
  removed: DiffEntry[]
  unchanged: DiffEntry[]
  replaced: DiffEntry[]
  updated: DiffEntry[]
}

const SEP = '\u0000'
const nameKey = (p: { type: string; name: string }) => `${p.type}${SEP}${p.name}`
const packageKey = (p: { type: string; name: string; version: string | null }) =>
  `${nameKey(p)}${SEP}${p.version === null ? '' : `=${p.version}`}`

/** The scan's packages, one per ecosystem, name and version, with their manifests in path order. */
export function packagesOf(artifacts: Artifact[]): Map<string, ScanPackage> {
  const packages = new Map<string, ScanPackage>()
  for (const artifact of artifacts) {
    const key = packageKey(artifact)
    const found = packages.get(key)
    if (found) {
      if (!found.manifests.includes(artifact.manifest)) found.manifests.push(artifact.manifest)
    } else {
      packages.set(key, {
        type: artifact.type,
        name: artifact.name,
        version: artifact.version,
        manifests: [artifact.manifest],
      })
    }
  }
  for (const found of packages.values()) found.manifests.sort()
  return packages
}

function byPackage(a: DiffEntry, b: DiffEntry): number {
  const x = packageKey(a.package)
  const y = packageKey(b.package)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Compares the packages of the scan before with those of the scan after. */
export function diffScans(before: Artifact[], after: Artifact[]): ScanDiff {
  const old = packagesOf(before)
  const now = packagesOf(after)
  const diff: ScanDiff = { added: [], removed: [], unchanged: [], replaced: [], updated: [] }

  // Per ecosystem and name: the versions only the before scan has, and only the after scan has.
  const gone = new Map<string, ScanPackage[]>()
  const arrived = new Map<string, ScanPackage[]>()
  for (const [key, pkg] of old) {
    const same = now.get(key)
    if (same) diff.unchanged.push({ diffType: 'unchanged', package: same, head: [same], base: [pkg] })
    else gone.set(nameKey(pkg), [...(gone.get(nameKey(pkg)) ?? []), pkg])
  }
  for (const [key, pkg] of now) {
    if (!old.has(key)) arrived.set(nameKey(pkg), [...(arrived.get(nameKey(pkg)) ?? []), pkg])
  }
  for (const [name, versions] of arrived) {
    const replacedVersions = gone.get(name)
    for (const pkg of versions) {
      if (replacedVersions)
        diff.updated.push({ diffType: 'updated', package: pkg, head: [pkg], base: replacedVersions })
      else diff.added.push({ diffType: 'added', package: pkg, head: [pkg], base: [] })
    }
  }
  for (const [name, versions] of gone) {
    if (arrived.has(name)) continue
    for (const pkg of versions) diff.removed.push({ diffType: 'removed', package: pkg, head: [], base: [pkg] })
  }
  for (const list of Object.values(diff)) list.sort(byPackage)
  return diff
}
