/**
 * The wire types: src/http/generated/api.d.ts, generated from openapi/socket-repos-api.yml by openapi-typescript.
 *
 *   npm run spec:types              regenerate the file
 *   npm run spec:types -- --check   exit 1 when the committed file is not what generation gives now (.ci/run)
 *
 * `--default-non-nullable false`: a property with a `default` stays optional unless the schema requires it. A
 * default documents a value (Socket gives most properties one); it does not make the property present on the wire
 * (a diff artifact has no `size`, `license` or `subpath` here).
 *
 * Generation runs into a temporary folder first, so a check never touches the committed file. The output
 * depends on the spec and the pinned openapi-typescript version only (no date, no path in it).
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SPEC = 'openapi/socket-repos-api.yml'
const OUTPUT = 'src/http/generated/api.d.ts'

const check = process.argv.includes('--check')
const cli = join(dirname(createRequire(import.meta.url).resolve('openapi-typescript/package.json')), 'bin/cli.js')
const dir = mkdtempSync(join(tmpdir(), 'socket-repos-spec-types-'))
try {
  const generated = join(dir, 'api.d.ts')
  execFileSync(process.execPath, [cli, SPEC, '--default-non-nullable', 'false', '--output', generated], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (!check) {
    copyFileSync(generated, join(root, OUTPUT))
    console.log(`${OUTPUT} generated from ${SPEC}`)
  } else if (readFileSync(generated, 'utf8') === readFileSync(join(root, OUTPUT), 'utf8')) {
    console.log(`${OUTPUT} is current`)
  } else {
    console.error(`${OUTPUT} is not what ${SPEC} generates: run \`npm run spec:types\` and commit the result`)
    process.exitCode = 1
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
