/**
 * The manifest files a scan accepts: glob patterns by ecosystem, then by file kind, in the shape of
 * Socket's `GET /orgs/{org_slug}/supported-files`. The patterns are Socket's own, as its Python SDK
 * (`socketdev`, MIT) ships them for when the API is unreachable; docs/supported-files.md says more.
 */
export type SupportedFiles = Readonly<Record<string, Readonly<Record<string, { readonly pattern: string }>>>>

const patterns = (entries: Record<string, string>) =>
  Object.freeze(
    Object.fromEntries(Object.entries(entries).map(([name, pattern]) => [name, Object.freeze({ pattern })])),
  )

export const supportedFiles: SupportedFiles = Object.freeze({
  spdx: patterns({ 'spdx.json': '*[-.]spdx.json' }),
  cdx: patterns({
    'cyclonedx.json': '{bom,*[-.]c{yclone,}dx}.json',
    xml: '{bom,*[-.]c{yclone,}dx}.xml',
  }),
  npm: patterns({
    'package.json': 'package.json',
    'package-lock.json': 'package-lock.json',
    'npm-shrinkwrap.json': 'npm-shrinkwrap.json',
    'yarn.lock': 'yarn.lock',
    'pnpm-lock.yaml': 'pnpm-lock.yaml',
    'pnpm-lock.yml': 'pnpm-lock.yml',
    'pnpm-workspace.yaml': 'pnpm-workspace.yaml',
    'pnpm-workspace.yml': 'pnpm-workspace.yml',
  }),
  pypi: patterns({
    pipfile: 'pipfile',
    'pyproject.toml': 'pyproject.toml',
    'poetry.lock': 'poetry.lock',
    'requirements.txt': '*requirements.txt',
    requirements: 'requirements/*.txt',
    'requirements-*.txt': 'requirements-*.txt',
    'requirements_*.txt': 'requirements_*.txt',
    'requirements.frozen': 'requirements.frozen',
    'setup.py': 'setup.py',
  }),
  golang: patterns({ 'go.mod': 'go.mod', 'go.sum': 'go.sum' }),
  java: patterns({ 'pom.xml': 'pom.xml' }),
  '.net': patterns({
    proj: '*.*proj',
    props: '*.props',
    targets: '*.targets',
    nuspec: '*.nuspec',
    nugetConfig: 'nuget.config',
    packagesConfig: 'packages.config',
    packagesLock: 'packages.lock.json',
  }),
})

/** A glob of the table as a regular expression: `*` within a path segment, `{a,b}` alternatives. */
function globRegExp(pattern: string): RegExp {
  let source = ''
  for (const char of pattern) {
    if (char === '*') source += '[^/]*'
    else if (char === '{') source += '(?:'
    else if (char === '}') source += ')'
    else if (char === ',') source += '|'
    else source += char.replace(/[.+?^$()|[\]\\]/g, '\\$&')
  }
  // Matched against the end of the path, as the scanners match file names found anywhere in a tree.
  return new RegExp(`(?:^|/)${source}$`, 'i')
}

const supportedPatterns = Object.values(supportedFiles).flatMap((kinds) =>
  Object.values(kinds).map(({ pattern }) => globRegExp(pattern)),
)

/** Whether a file (its relative path) matches any pattern of the table, case-insensitively as Socket's CLIs do. */
export function isSupportedFile(path: string): boolean {
  return supportedPatterns.some((pattern) => pattern.test(path))
}
