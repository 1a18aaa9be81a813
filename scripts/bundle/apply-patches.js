/**
 * How the bundle changes the dependencies' files as esbuild loads them: the patches of patches.js,
 * then the routing of their computed `import()` calls (dynamic-imports.js). A patch that no longer
 * fits fails the build: the text it replaces is gone, its check finds a use the stand-in does not
 * provide, or the bundle no longer has its file. The dependency has changed then, and the patch
 * has to be mended or dropped (docs/build.md) rather than applied blindly.
 */
import {readFileSync} from 'node:fs'

import {routeComputedImports} from './dynamic-imports.js'

/**
 * Whether `path` (absolute, as esbuild loads it) is the file `file` names (its path under
 * node_modules/), in the project's own node_modules: a copy nested in another package's
 * node_modules is another version of the package (@oclif/core keeps an old string-width), which
 * the patch was not written for.
 */
function isFile(path, file) {
  const normalized = path.split('\\').join('/')
  const suffix = `/node_modules/${file}`
  return normalized.endsWith(suffix) && !normalized.slice(0, -suffix.length).includes('/node_modules/')
}

/** `source` (the file at `path`) with every patch for that path applied; throws when one no longer fits. */
export function applyPatches(path, source, patches) {
  let patched = source
  for (const patch of patches.filter((entry) => isFile(path, entry.file))) {
    const where = `${path}: the patch "${patch.name}" of scripts/bundle/patches.js`
    if (!patched.includes(patch.replace))
      throw new Error(`${where} no longer finds the text it replaces; mend or drop the patch (docs/build.md)`)
    const unexpected = patch.check?.(patched) ?? []
    if (unexpected.length > 0)
      throw new Error(
        `${where} does not fit: the file now uses ${unexpected.join(', ')}, which the stand-in does not provide; mend or drop the patch (docs/build.md)`,
      )
    // A function, so that `$` in the new text is taken as it is, not as a replacement pattern.
    patched = patched.replace(patch.replace, () => patch.with)
  }

  return patched
}

/** Throws for a patch whose file is not in the bundle (esbuild's metafile): it would never be applied. */
export function checkEveryPatchUsed(metafile, patches) {
  const inputs = Object.keys(metafile.inputs).map((input) => `/${input}`)
  const unused = patches.filter((patch) => !inputs.some((input) => isFile(input, patch.file)))
  if (unused.length > 0) {
    throw new Error(
      `${unused.map((patch) => `the patch "${patch.name}"`).join(', ')} of scripts/bundle/patches.js: the bundle has no node_modules/${unused[0].file} any more; mend or drop the patch (docs/build.md)`,
    )
  }
}

/** The esbuild plugin. esbuild takes the first onLoad answer for a file, so this one callback does both jobs. */
export function rewriteDependencies(patches) {
  return {
    name: 'rewrite-dependencies',
    setup(esbuild) {
      esbuild.onLoad({filter: /[\\/]node_modules[\\/].*\.[cm]?js$/}, (args) => {
        const source = readFileSync(args.path, 'utf8')
        const rewritten = routeComputedImports(applyPatches(args.path, source, patches))
        return rewritten === source ? undefined : {contents: rewritten, loader: 'js'}
      })
    },
  }
}
