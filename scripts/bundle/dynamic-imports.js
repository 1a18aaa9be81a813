/**
 * Code compiled with V8's code cache cannot run `import()` on Node 20 (see src/support/code-cache.ts),
 * so the dependencies' `await import(path)` calls with a computed path (oclif loads the CLI's
 * dist/index.js and other plugins' files with them) go through the function the loader provides;
 * bundled without the loader (`require('./cidx.cjs')`), they fall back to `import()`. Imports of a
 * literal name, the CLI's own included, are bundled (esbuild turns them into a require), so no
 * other import() remains, which checkNoImportCalls makes sure of.
 */

/** Starts the bundle: the loader's import function, or import() itself. */
export const DYNAMIC_IMPORT_BANNER =
  "var __cidxImport = globalThis[Symbol.for('cidx.import')] ?? ((specifier) => import(specifier));"

/** A dependency's source with its computed `await import(...)` calls routed through the banner's function. */
export function routeComputedImports(source) {
  return source.replaceAll(/await import\((?!\s*['"`])/g, 'await __cidxImport(')
}

/** Fails the build if any import() call is left besides the banner's fallback: it would break from the cache. */
export function checkNoImportCalls(bundle) {
  const calls = bundle.match(/(?<![\w$.])import\((?!\))/g) ?? []
  if (calls.length !== 1)
    throw new Error(
      `dist/cidx.cjs has ${calls.length - 1} import() call(s) that bypass __cidxImport; route them in scripts/bundle/dynamic-imports.js`,
    )
}
