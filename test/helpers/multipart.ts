/** A multipart/form-data body as Socket's scanners send one: a part per file, named by its relative path. */
export function multipartBody(
  files: Record<string, string | Buffer>,
  boundary = '----socket-scan-boundary',
): { payload: Buffer; headers: { 'content-type': string } } {
  const chunks: Buffer[] = []
  for (const [path, content] of Object.entries(files)) {
    const filename = path.slice(path.lastIndexOf('/') + 1)
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${path}"; filename="${filename}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      Buffer.isBuffer(content) ? content : Buffer.from(content),
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}
