import {expect} from 'chai'

import {migrate, type Migration} from '../../../src/db/postgres/migrate.js'
import {usePostgres} from '../../support/postgres.js'

const STEPS: Migration[] = [
  {version: 2, sql: 'ALTER TABLE things ADD COLUMN size BIGINT'},
  {version: 1, sql: 'CREATE TABLE things (name TEXT PRIMARY KEY)'},
]

describe('server: PostgreSQL migrations', () => {
  const postgres = usePostgres()

  it('applies the missing steps in order once, even to nodes starting at the same moment', async () => {
    const nodes = [postgres.pool(2), postgres.pool(2), postgres.pool(2)]
    const applied = await Promise.all(nodes.map((pool) => migrate(pool, STEPS)))
    expect(applied.filter((versions) => versions.length > 0)).to.deep.equal([[1, 2]])
    const versions = await nodes[0].query('SELECT version FROM schema_migrations ORDER BY version')
    expect(versions.rows).to.deep.equal([{version: 1}, {version: 2}])
    await nodes[0].query("INSERT INTO things (name, size) VALUES ('a', 9007199254740991)")
    const thing = await nodes[1].query('SELECT size FROM things')
    expect(thing.rows).to.deep.equal([{size: 9_007_199_254_740_991}])
  })

  it('applies a failing step not at all: the steps before it in the same run are rolled back too', async () => {
    const pool = postgres.pool(1)
    const broken: Migration[] = [
      ...STEPS,
      {version: 3, sql: 'CREATE TABLE others (id INTEGER)'},
      {version: 4, sql: 'ALTER TABLE missing ADD COLUMN x INTEGER'},
    ]
    const failure = await migrate(pool, broken).then(
      () => 'migrated',
      (error: Error) => error.message,
    )
    expect(failure).to.match(/relation "missing" does not exist/)
    const versions = await pool.query('SELECT max(version) AS latest FROM schema_migrations')
    expect(versions.rows).to.deep.equal([{latest: 2}])
    const others = await pool.query("SELECT to_regclass('others') AS table")
    expect(others.rows).to.deep.equal([{table: null}])
  })
})
