// ts-jest keeps one compiler per Jest project config, whichever transformer options a `transform` entry gives, so
// the first tsconfig it meets would compile every file. This wrapper hands ts-jest a config of its own for the NestJS
// files, so that they compile with test/compat/nest/tsconfig.json (decorators) and everything else with the main one.
const { TsJestTransformer } = require('ts-jest')

const marked = new Map()
function withOwnConfig(options) {
  const key = typeof options.config === 'string' ? options.config : options.config
  let config = marked.get(key)
  if (config === undefined) {
    const base = typeof options.config === 'string' ? JSON.parse(options.config) : options.config
    config = { ...base, globals: { ...base.globals, 'ts-jest-nest-decorators': true } }
    marked.set(key, config)
  }
  return { ...options, config }
}

module.exports = {
  createTransformer(tsJestOptions) {
    const inner = new TsJestTransformer(tsJestOptions)
    return {
      canInstrument: inner.canInstrument,
      getCacheKey: (source, path, options) => inner.getCacheKey(source, path, withOwnConfig(options)),
      getCacheKeyAsync: (source, path, options) => inner.getCacheKeyAsync(source, path, withOwnConfig(options)),
      process: (source, path, options) => inner.process(source, path, withOwnConfig(options)),
      processAsync: (source, path, options) => inner.processAsync(source, path, withOwnConfig(options)),
    }
  },
}
