import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {withFileLock} from '../../src/support/file-lock.js'

/** A pid no process has: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'])
  await new Promise((resolve) => {
    child.on('exit', resolve)
  }) // attached at once: it cannot exit before
  return child.pid!
}

describe('file-lock', () => {
  let base: string
  let lock: string

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'cidx-lock-'))
    lock = join(base, 'session.lock')
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  it('holds the lock (a file with this pid) while the work runs, and removes it after, also on failure', async () => {
    const seen = await withFileLock(lock, async () => readFile(lock, 'utf8'))
    expect(seen).to.equal(`${process.pid}\n`)
    expect(existsSync(lock)).to.equal(false)
    const failure = await withFileLock(lock, async () => {
      throw new Error('refresh failed')
    }).catch((error: Error) => error)
    expect(failure).to.be.instanceOf(Error).with.property('message', 'refresh failed')
    expect(existsSync(lock)).to.equal(false)
  })

  it('lets one holder at a time work: a second waits until the first is done', async () => {
    const events: string[] = []
    const holder = async (name: string) =>
      withFileLock(
        lock,
        async () => {
          events.push(`${name} in`)
          await sleep(60)
          events.push(`${name} out`)
        },
        {pollMs: 5},
      )
    await Promise.all([holder('a'), holder('b')])
    // Either may win the race for the lock; what matters is that the two never overlap.
    const first = events[0].split(' ')[0]
    const second = first === 'a' ? 'b' : 'a'
    expect(events).to.deep.equal([`${first} in`, `${first} out`, `${second} in`, `${second} out`])
  })

  it('waits for a lock held by another live process until it lets go', async () => {
    // A real process creates the lock, says so, and removes it when its stdin closes.
    const script = [
      "const fs = require('fs')",
      `fs.writeFileSync(${JSON.stringify(lock)}, process.pid + '\\n', {flag: 'wx'})`,
      String.raw`process.stdout.write('locked\n')`,
      `process.stdin.on('end', () => fs.rmSync(${JSON.stringify(lock)})).resume()`,
    ].join('\n')
    const other = spawn(process.execPath, ['-e', script], {stdio: ['pipe', 'pipe', 'inherit']})
    const exited = new Promise((resolve) => {
      other.on('exit', resolve)
    })
    await new Promise((resolve) => {
      other.stdout.once('data', resolve)
    })
    let done = false
    const waiting = withFileLock(lock, async () => readFile(lock, 'utf8'), {pollMs: 5}).finally(() => {
      done = true
    })
    await sleep(150)
    expect(done, 'it waited while the other process held the lock').to.equal(false)
    other.stdin.end()
    expect(await waiting).to.equal(`${process.pid}\n`)
    expect(await exited).to.equal(0)
  })

  it('takes over a lock whose process is gone, and one held longer than any holder should take', async () => {
    const log: string[] = []
    await writeFile(lock, `${await deadPid()}\n`)
    expect(await withFileLock(lock, async () => readFile(lock, 'utf8'), {log: (line) => log.push(line)})).to.equal(
      `${process.pid}\n`,
    )
    expect(log[0]).to.match(/taking over the stale lock/)

    await writeFile(lock, `${process.ppid}\n`) // alive, but the lock is old
    const old = new Date(Date.now() - 120_000)
    await utimes(lock, old, old)
    expect(await withFileLock(lock, async () => 'ran', {staleMs: 60_000})).to.equal('ran')
  })

  it('goes on without the lock when it stays held past the wait, or cannot be created at all', async () => {
    const log: string[] = []
    await writeFile(lock, `${process.ppid}\n`) // a live holder that never lets go
    expect(
      await withFileLock(lock, async () => 'ran', {waitMs: 50, pollMs: 5, log: (line) => log.push(line)}),
    ).to.equal('ran')
    expect(log.at(-1)).to.match(/still held after 50 ms; going on without it/)
    expect(await readFile(lock, 'utf8'), "the other holder's lock is left alone").to.equal(`${process.ppid}\n`)

    const missingDir = join(base, 'no-such-dir', 'session.lock')
    expect(await withFileLock(missingDir, async () => 'ran', {log: (line) => log.push(line)})).to.equal('ran')
    expect(log.at(-1)).to.match(/cannot create the lock/)
  })

  it('leaves a lock that was taken over meanwhile to its new holder', async () => {
    await mkdir(base, {recursive: true})
    await withFileLock(lock, async () => {
      // Another process judged this lock stale and took it over.
      await writeFile(lock, `${process.ppid}\n`)
    })
    expect(await readFile(lock, 'utf8')).to.equal(`${process.ppid}\n`)
  })
})
