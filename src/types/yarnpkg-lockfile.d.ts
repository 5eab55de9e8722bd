// @yarnpkg/lockfile ships no types, and is CommonJS (imported as its default export): the part used here.
declare module '@yarnpkg/lockfile' {
  const lockfile: {
    parse(text: string): { type: 'success' | 'merge' | 'conflict'; object: Record<string, { version?: string }> }
  }
  export default lockfile
}
