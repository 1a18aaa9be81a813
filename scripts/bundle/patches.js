/**
 * Work the dependencies do on every start that the CLI rarely or never needs: in the bundle it
 * waits until first use, or is done a cheaper way with the same result. Each patch names its file
 * (its path under node_modules/), the exact text it replaces, why, and (where a stand-in replaces a module) a check of what the
 * file uses of it; apply-patches.js fails the build when a patch no longer fits, so an update of a
 * dependency is never patched blindly. docs/build.md tells how to mend or drop one, and
 * test/scripts/bundle.test.ts checks which built-in modules a listing loads.
 */
import {readFileSync} from 'node:fs'

import {lazyModule, onlyProperties, onlyUses} from './stand-ins.js'

const ENGINES_NODE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).engines.node

/** The oldest Node the CLI supports, from `engines.node` (">=MAJOR.MINOR.PATCH"). */
const MIN_NODE = (() => {
  const match = /^>=(\d+)\.(\d+)\.\d+$/.exec(ENGINES_NODE)
  if (!match)
    throw new Error(
      `package.json engines.node is "${ENGINES_NODE}"; scripts/bundle/patches.js understands only ">=MAJOR.MINOR.PATCH"`,
    )
  return {major: Number(match[1]), minor: Number(match[2])}
})()

export const PATCHES = [
  {
    name: 'http2-wrapper: JSStreamSocket on first use',
    why: "builds a TLS socket only to reach a class of Node's (for HTTP/1-over-HTTP/2 proxying, which the CLI never does): a TLS context with every root certificate, some 40 ms of every start",
    file: 'http2-wrapper/source/utils/js-stream-socket.js',
    replace:
      'const JSStreamSocket = (new tls.TLSSocket(new stream.PassThrough()))._handle._parentWrap.constructor;\n\nmodule.exports = JSStreamSocket;',
    with: [
      'let JSStreamSocket;',
      'module.exports = function LazyJSStreamSocket(...args) {',
      '\tJSStreamSocket ??= (new tls.TLSSocket(new stream.PassThrough()))._handle._parentWrap.constructor;',
      '\treturn new JSStreamSocket(...args);',
      '};',
    ].join('\n'),
  },
  {
    name: '@sindresorhus/is: list formats on first use',
    why: "makes two Intl.ListFormat objects for its error messages at load: ICU's list data costs some 6 ms (15 ms when nothing else has used ICU yet)",
    file: '@sindresorhus/is/distribution/index.js',
    replace:
      "const andFormatter = new Intl.ListFormat('en', { style: 'long', type: 'conjunction' });\nconst orFormatter = new Intl.ListFormat('en', { style: 'long', type: 'disjunction' });",
    with: [
      'let andListFormat;',
      'let orListFormat;',
      "const andFormatter = {format: (values) => (andListFormat ??= new Intl.ListFormat('en', { style: 'long', type: 'conjunction' })).format(values)};",
      "const orFormatter = {format: (values) => (orListFormat ??= new Intl.ListFormat('en', { style: 'long', type: 'disjunction' })).format(values)};",
    ].join('\n'),
  },
  {
    name: 'got: http2-wrapper on first use',
    why: 'loads http2-wrapper, and with it node:http2, node:tls and node:https, only to reach two of its properties when a request asks for HTTP/2, which the CLI never does: some 6 ms',
    file: 'got/dist/source/core/options.js',
    replace: "import http2wrapper from 'http2-wrapper';",
    ...lazyModule('http2wrapper', 'http2-wrapper', ['auto', 'globalAgent']),
  },
  {
    name: 'got: DNS cache on first use',
    why: 'loads cacheable-lookup, and with it node:dns, at load, for a DNS cache it builds only when a request asks for one, which the CLI never does',
    file: 'got/dist/source/core/options.js',
    replace: "import CacheableLookup from 'cacheable-lookup';",
    with: "function CacheableLookup(...args) { return new (require('cacheable-lookup').default)(...args) }",
    check: (source) =>
      onlyUses(source, /\bCacheableLookup\b/, [
        "import CacheableLookup from 'cacheable-lookup';",
        'globalDnsCache = new CacheableLookup();',
      ]),
  },
  {
    name: '@oclif/core: Node version check without semver',
    why: "checks the Node version against its own `engines` with semver at load (some 6 ms); the same check against the CLI's stricter `engines` needs no semver",
    file: '@oclif/core/lib/index.js',
    replace: 'checkCWD();\ncheckNodeVersion();',
    with: [
      'checkCWD();',
      '{',
      "\tconst [major, minor] = process.versions.node.split('.').map(Number);",
      `\tif (major < ${MIN_NODE.major} || (major === ${MIN_NODE.major} && minor < ${MIN_NODE.minor})) process.emitWarning(\`Node version must be ${ENGINES_NODE} to use this CLI. Current node version: \${process.versions.node}\`);`,
      '}',
    ].join('\n'),
  },
  {
    name: '@oclif/core: debug only with DEBUG',
    why: 'its logger loads debug, and debug supports-color and node:tty, on every run; without DEBUG set every logger is off anyway',
    file: '@oclif/core/lib/logger.js',
    replace: 'const debug_1 = __importDefault(require("debug"));',
    with: [
      'const debug_1 = {default: (namespace) => {',
      '\tif (process.env.DEBUG) return require("debug")(namespace);',
      '\tconst disabled = () => {};',
      '\tdisabled.enabled = false;',
      '\tdisabled.namespace = namespace;',
      '\treturn disabled;',
      '}};',
    ].join('\n'),
    check: (source) => onlyProperties(source, /debug_1\.(\w+)/g, ['default']),
  },
  {
    name: '@oclif/core: colour detection on first use',
    why: 'detects colour support (supports-color, node:tty) at load; most runs colour nothing',
    file: '@oclif/core/lib/ux/supports-color.js',
    replace: 'const supports_color_1 = require("supports-color");',
    ...lazyModule('supports_color_1', 'supports-color', ['stdout', 'stderr']),
  },
  {
    name: '@oclif/core: performance hooks on first use',
    why: 'loads node:perf_hooks at load; it measures only when performance marks are switched on (`enablePerf`), which the CLI never does',
    file: '@oclif/core/lib/performance.js',
    replace: 'const node_perf_hooks_1 = require("node:perf_hooks");',
    ...lazyModule('node_perf_hooks_1', 'node:perf_hooks', ['performance', 'PerformanceObserver']),
  },
  {
    name: '@oclif/core: child_process on first use',
    why: 'loads node:child_process at load, for the Windows shell probe only',
    file: '@oclif/core/lib/util/os.js',
    replace: 'const node_child_process_1 = require("node:child_process");',
    ...lazyModule('node_child_process_1', 'node:child_process', ['execSync']),
  },
  {
    name: '@oclif/core: WSL probe through is-wsl',
    why: 'imports wsl-utils on every run (it loads node:child_process and powershell-utils) only for the answer of is-wsl, which it re-exports',
    file: '@oclif/core/lib/util/os.js',
    replace: "return (await import('wsl-utils')).isWsl ? 'wsl' : (0, node_os_1.platform)();",
    with: "return (await import('is-wsl')).default ? 'wsl' : (0, node_os_1.platform)();",
  },
  {
    name: '@oclif/core: plugin names without minimatch',
    why: 'finds its core plugins (help, autocomplete) by compiling a minimatch pattern of each plugin name for each dependency (some 2.5 ms): a name without glob characters is compared as it is',
    file: '@oclif/core/lib/config/plugin-loader.js',
    replace: 'return Object.keys(dependencies).filter((p) => patterns.some((w) => (0, minimatch_1.minimatch)(p, w)));',
    with: String.raw`return Object.keys(dependencies).filter((p) => patterns.some((w) => (/[*?[\]{}()\\]|^!/.test(w) ? (0, minimatch_1.minimatch)(p, w) : p === w)));`,
  },
  {
    name: "@oclif/core: plugins from the CLI's own node_modules",
    why: "finds each plugin's directory by resolving its main module through the package's `exports` and walking up to its package.json (some 3 ms): a plugin in the CLI's own node_modules, where that resolution looks first, is taken from there",
    file: '@oclif/core/lib/util/find-root.js',
    // eslint-disable-next-line no-template-curly-in-string -- @oclif/core's code, a template literal, as it reads
    replace: '    if (name) {\n        debug(name)(`Finding root using ${root}`);',
    with: [
      '    if (name) {',
      // eslint-disable-next-line no-template-curly-in-string -- the same line of @oclif/core's code, kept as it reads
      '        debug(name)(`Finding root using ${root}`);',
      '        try {',
      "            const fs = require('node:fs');",
      "            const dir = (0, node_path_1.join)(root, 'node_modules', name);",
      "            if (JSON.parse(fs.readFileSync((0, node_path_1.join)(dir, 'package.json'), 'utf8')).name === name) return fs.realpathSync(dir);",
      '        }',
      '        catch { }',
    ].join('\n'),
  },
  {
    name: '@oclif/core: command IDs sorted without ICU',
    why: "sorts each plugin's command IDs with localeCompare, whose first call loads ICU's collator (some 7 ms); command IDs are ASCII, which sorts the same by code unit",
    file: '@oclif/core/lib/config/plugin.js',
    replace: '.sort((a, b) => a.id.localeCompare(b.id));',
    with: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
  },
  {
    name: 'string-width: Intl.Segmenter on first use',
    why: "builds an Intl.Segmenter at load (ICU's break iterator) in every command that prints a table or a status; src/ui/text-width.ts asks string-width only about text beyond its one-column characters, which most runs never show. With the emoji regex patch: some 20 ms of `jobs list` and 15 ms of `jobs status` on a terminal",
    file: 'string-width/index.js',
    replace: 'const segmenter = new Intl.Segmenter();',
    with: 'let graphemeSegmenter;\nconst segmenter = {segment: (string) => (graphemeSegmenter ??= new Intl.Segmenter()).segment(string)};',
    check: (source) => onlyProperties(source, /\bsegmenter\.(\w+)/g, ['segment']),
  },
  {
    name: 'string-width: emoji regex on first use',
    why: 'builds its RGI_Emoji regex at load, and V8 expands that property of strings when the regex is made, in every command that prints a table or a status (see the Intl.Segmenter patch)',
    file: 'string-width/index.js',
    replace: String.raw`const rgiEmojiRegex = /^\p{RGI_Emoji}$/v;`,
    with: 'let rgiEmojiPattern;\nconst rgiEmojiRegex = {test: (string) => (rgiEmojiPattern ??= /^\\p{RGI_Emoji}$/v).test(string)};',
    check: (source) => onlyProperties(source, /\brgiEmojiRegex\.(\w+)/g, ['test']),
  },
]
