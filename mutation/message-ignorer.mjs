/**
 * A Stryker ignorer plugin: skips the mutants inside message text, which only rewords what a person reads and which
 * the tests rightly do not pin (they assert `code`, `claim` and status). A message argument is skipped when it is
 * text: a string or template literal, a `+` of such, or a `?:` choosing between them. Everything else in the same
 * call (the error code, the claim, a cause) is still mutated, and so is any condition outside the call.
 */
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin'

/** Which argument of a call or `new` is message text, by callee name; `'*'` means every argument. */
export const MESSAGE_ARGUMENTS = {
  FreedomIdError: [1],
  TypeError: [0],
  RangeError: [0],
  Error: [0],
  debug: '*',
  debuglog: '*',
  // id-token.ts: invalid(claim, message, cause)
  invalid: [1],
  // jwks.ts: this._unavailable(what, cause)
  _unavailable: [0],
  // cookie-store.ts: fail(option, requirement) throws a TypeError. (revoke-router.ts's fail(res, status, code) has a
  // number there, which is never text, so its codes are still mutated.)
  fail: [1],
}

function calleeName(callee) {
  if (callee.type === 'Identifier') return callee.name
  if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') {
    return callee.property.name
  }
  return undefined
}

function isText(node) {
  switch (node.type) {
    case 'StringLiteral':
    case 'TemplateLiteral':
      return true
    case 'BinaryExpression':
      return node.operator === '+' && (isText(node.left) || isText(node.right))
    case 'ConditionalExpression':
      return isText(node.consequent) && isText(node.alternate)
    default:
      return false
  }
}

export const messageIgnorer = {
  shouldIgnore(path) {
    const parent = path.parentPath
    if (!parent || !(parent.isCallExpression() || parent.isNewExpression())) return undefined
    const index = parent.node.arguments.indexOf(path.node)
    if (index < 0 || !isText(path.node)) return undefined
    const name = calleeName(parent.node.callee)
    const positions = name !== undefined && Object.hasOwn(MESSAGE_ARGUMENTS, name) ? MESSAGE_ARGUMENTS[name] : []
    if (positions === '*' || positions.includes(index)) return 'message text (mutation/message-ignorer.mjs)'
    return undefined
  },
}

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'message-text', messageIgnorer)]
