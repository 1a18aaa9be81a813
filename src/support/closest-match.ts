/**
 * "Did you mean ...?" for a mistyped name (a command, a flag): the candidate fewest edits away,
 * when it is near enough to be what was meant.
 */

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => [i, ...Array.from({length: b.length}, () => 0)])
  for (let j = 1; j <= b.length; j++) rows[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const replace = rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, replace)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1)
      }
    }
  }

  return rows[a.length][b.length]
}

/**
 * The candidate nearest to `typed`, if at most a third of its letters (at least one) are off. Of
 * equally near ones, the one as long as what was typed (`stauts`: `status`, not `stats`), else the first.
 */
export function closestMatch(typed: string, candidates: Iterable<string>): string | undefined {
  const allowed = Math.max(1, Math.floor(typed.length / 3))
  // Edits first, then the difference in length: one score to minimise.
  const score = (candidate: string) =>
    editDistance(typed.toLowerCase(), candidate.toLowerCase()) + Math.abs(candidate.length - typed.length) / 1000
  let best: string | undefined
  let bestScore = allowed + 1
  for (const candidate of candidates) {
    const candidateScore = score(candidate)
    if (candidateScore < bestScore) [best, bestScore] = [candidate, candidateScore]
  }

  return best
}
