/**
 * Building blocks of the dependency patches (patches.js): stand-ins that load a module on first
 * use, and the checks that a patched file uses no more of a stand-in than it provides. A check
 * returns what it found unexpected; empty means the patch still fits the file.
 */

/** The code without its block and line comments (roughly: enough for the checks below). */
function withoutComments(source) {
  return source.replaceAll(/\/\*[\s\S]*?\*\//g, '').replaceAll(/^\s*\/\/.*$/gm, '')
}

/** For a stand-in object: the names `pattern` captures that the stand-in does not provide. */
export function onlyProperties(source, pattern, provided) {
  return [...withoutComments(source).matchAll(pattern)]
    .map((match) => match[1])
    .filter((name) => !provided.includes(name))
}

/** For a stand-in function: the lines of code that name it and are not the uses it was written for. */
export function onlyUses(source, name, expectedLines) {
  return withoutComments(source)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => name.test(line) && !expectedLines.includes(line))
}

/**
 * A stand-in for the module a file binds to `variable` when it loads: an object whose `properties`
 * require the module on first use (require caches it), with the check that the file uses no other.
 */
export function lazyModule(variable, specifier, properties) {
  const getters = properties.map((name) => `get ${name}() { return require(${JSON.stringify(specifier)}).${name} }`)
  return {
    with: `const ${variable} = {${getters.join(', ')}};`,
    check: (source) => onlyProperties(source, new RegExp(`\\b${variable}\\.(\\w+)`, 'g'), properties),
  }
}
