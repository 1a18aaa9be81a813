import {expect} from 'chai'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import pg from 'pg'

import {startCluster} from '../../src/cluster/launch-cluster.js'
import {isAlive} from '../support/processes.js'

const STAND_IN = fileURLToPath(new URL('fixtures/stand-in-node.js', import.meta.url))

interface StandInAnswer {
  adminPassword: string
  createdAdmin: boolean
  database: string
  dataDir: string
  name: string
  throttleMs?: string
  workers?: string
}

async function answerOf(url: string): Promise<StandInAnswer> {
  const response = await fetch(url)
  return (await response.json()) as StandInAnswer
}

async function reachable(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client(databaseUrl)
  client.on('error', () => {})
  try {
    await client.connect()
    await client.end()
    return true
  } catch {
    return false
  }
}

describe('server: the cluster launcher (with a stand-in node)', function () {
  this.timeout(60_000)

  it('starts PostgreSQL and N nodes on one shared data dir, and stop() removes everything', async () => {
    const output: string[] = []
    const cluster = await startCluster({
      nodes: 3,
      workers: 2,
      throttleMs: 5,
      adminPassword: 'pw-1',
      nodeScript: STAND_IN,
      onOutput: (node, line) => output.push(`${node}: ${line}`),
    })
    let stopped = false
    try {
      expect(cluster.nodes.map((node) => node.name)).to.deep.equal(['node-1', 'node-2', 'node-3'])
      expect(new Set(cluster.nodes.map((node) => node.url)).size).to.equal(3)
      const answers = await Promise.all(cluster.nodes.map((node) => answerOf(node.url)))
      for (const [at, answer] of answers.entries())
        expect(answer).to.include({
          name: `node-${at + 1}`,
          dataDir: cluster.dataDir,
          database: 'cidx',
          adminPassword: 'pw-1',
          workers: '2',
          throttleMs: '5',
        })
      // node-1 starts alone, so it is the one that made the admin.
      expect(answers.map((answer) => answer.createdAdmin)).to.deep.equal([true, false, false])
      expect(cluster.adminPassword).to.equal('pw-1')
      expect(await reachable(cluster.databaseUrl)).to.equal(true)
      expect(output).to.have.length(3)
      expect(output.find((line) => line.startsWith('node-3: node-3 is up: pid '))).to.include(cluster.databaseUrl)
      await cluster.stop()
      stopped = true
      expect(cluster.nodes.filter((node) => isAlive(node.pid))).to.deep.equal([])
      expect(existsSync(cluster.dataDir)).to.equal(false)
      expect(await reachable(cluster.databaseUrl)).to.equal(false)
      await cluster.stop()
    } finally {
      if (!stopped) await cluster.stop()
    }
  })

  it('generates an admin password when none is given, and keeps a data dir it was given', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cidx-cluster-test-'))
    try {
      const cluster = await startCluster({nodes: 1, dataDir, nodeScript: STAND_IN})
      await cluster.stop()
      expect(cluster.adminPassword).to.match(/^[\w-]{16}$/)
      expect(existsSync(join(dataDir, 'admin-made'))).to.equal(true)
    } finally {
      rmSync(dataDir, {recursive: true, force: true})
    }
  })

  it('rejects with the failing node and its output, and leaves no node nor PostgreSQL behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cidx-cluster-test-'))
    writeFileSync(join(dataDir, 'fail-node-2'), '')
    const upLines: string[] = []
    try {
      let refused: unknown
      try {
        await startCluster({nodes: 2, dataDir, nodeScript: STAND_IN, onOutput: (_node, line) => upLines.push(line)})
      } catch (error) {
        refused = error
      }

      expect(String(refused)).to.match(/node-2 did not start: it exited with 3\nnode-2 was told to fail/)
      const [, pid, databaseUrl] = /^node-1 is up: pid (\d+), database (\S+)$/.exec(upLines[0] ?? '') ?? []
      expect(isAlive(Number(pid))).to.equal(false)
      expect(await reachable(databaseUrl)).to.equal(false)
    } finally {
      rmSync(dataDir, {recursive: true, force: true})
    }
  })
})
