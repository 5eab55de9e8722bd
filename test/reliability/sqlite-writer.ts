import Database from 'better-sqlite3'

/**
 * A second process hammering the server's database file with small write transactions, as an
 * operator's script or a second admin CLI could: `tsx sqlite-writer.ts <file> <ms> <org-slug>`.
 * Each write renames one org (its own), so the server's data is not touched; what matters is
 * that the write lock is taken thousands of times while the server writes too. Prints the
 * number of writes and failures as JSON.
 */

const [file, durationArg, slug] = process.argv.slice(2)
if (!file || !durationArg || !slug) throw new Error('usage: sqlite-writer.ts <file> <ms> <org-slug>')
const db = new Database(file)
db.pragma('journal_mode = WAL')
db.pragma('busy_timeout = 5000')
const rename = db.prepare('UPDATE orgs SET name = ? WHERE slug = ?')
const end = Date.now() + Number(durationArg)
let writes = 0
let failures = 0
while (Date.now() < end) {
  try {
    rename.run(`writer ${writes}`, slug)
    writes++
  } catch {
    failures++
  }
}
db.close()
process.stdout.write(`${JSON.stringify({ writes, failures })}\n`)
