// c8 collects V8 coverage from every process that inherits NODE_V8_COVERAGE. CLI child processes
// started by tests compile src/ differently (bin/dev.js through tsx, or the bundle), and c8 merges
// their counts with this process's wrongly. This process keeps its own coverage (Node fixed the
// directory at start-up); its children simply stop writing any.
delete process.env.NODE_V8_COVERAGE
