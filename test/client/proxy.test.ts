import type {ServerHandle} from '@cidx/local-server'

import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {createServer, request as httpRequest, type IncomingHttpHeaders, type Server} from 'node:http'
import {type AddressInfo, connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {JobsClient} from '../../src/client/jobs-client.js'
import {bypassesProxy, proxyAgentsFor, proxyFor} from '../../src/client/proxy.js'
import {NetworkError, UsageError} from '../../src/errors.js'
import {jobSeries} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {startLocalServer} from '../helpers/servers/local-server.js'

/** What a proxy saw: forwarded requests by absolute URI, and CONNECT tunnels by host:port. */
interface ProxyLog {
  forwarded: Array<{headers: IncomingHttpHeaders; url: string}>
  tunnels: Array<{headers: IncomingHttpHeaders; target: string}>
}

/** A small real HTTP proxy on loopback: forwards absolute-URI requests and opens CONNECT tunnels. */
async function startProxy(): Promise<{log: ProxyLog; server: Server; url: string}> {
  const log: ProxyLog = {forwarded: [], tunnels: []}
  const server = createServer((request, response) => {
    log.forwarded.push({url: request.url ?? '', headers: request.headers})
    const target = new URL(request.url ?? '')
    // The proxy's own credentials stop here, as a real proxy's do.
    const headers = {...request.headers}
    delete headers['proxy-authorization']
    const upstream = httpRequest(target, {method: request.method, headers}, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    upstream.on('error', () => response.writeHead(502).end())
    request.pipe(upstream)
  })
  server.on('connect', (request, client, head) => {
    log.tunnels.push({target: request.url ?? '', headers: request.headers})
    const [host, port] = (request.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log, server}
}

describe('proxy: HTTPS_PROXY, HTTP_PROXY and NO_PROXY', () => {
  describe('bypassesProxy', () => {
    const cases: Array<[string, string | undefined, boolean]> = [
      ['http://cidx.corp.example:8090', undefined, false],
      ['http://cidx.corp.example:8090', '', false],
      ['http://cidx.corp.example:8090', '*', true],
      ['http://cidx.corp.example:8090', 'cidx.corp.example', true],
      ['http://cidx.corp.example:8090', 'CIDX.Corp.Example', true],
      ['http://cidx.corp.example:8090', 'corp.example', true],
      ['http://cidx.corp.example:8090', '.corp.example', true],
      ['http://cidx.corp.example:8090', '*.corp.example', true],
      ['http://cidx.corp.example:8090', 'p.example', false],
      ['http://corp.example', '.corp.example', true],
      ['http://cidx.corp.example:8090', 'other.example, corp.example:8090', true],
      ['http://cidx.corp.example:8090', 'corp.example:9000', false],
      ['http://cidx.corp.example', 'corp.example:80', true],
      ['https://cidx.corp.example', 'corp.example:443', true],
      ['https://cidx.corp.example', 'corp.example:80', false],
      ['http://127.0.0.1:8090', 'localhost,127.0.0.1', true],
      ['http://127.0.0.1:8090', '127.0.0.10', false],
      ['http://[::1]:8090', '::1', true],
      ['http://[::1]:8090', '[::1]', true],
      ['http://[::1]:8090', '[::1]:8090', true],
      ['http://[::1]:8090', '[::1]:9000', false],
    ]
    for (const [server, noProxy, expected] of cases) {
      it(`${server} with NO_PROXY=${JSON.stringify(noProxy)} → ${expected ? 'direct' : 'proxy'}`, () => {
        expect(bypassesProxy(new URL(server), noProxy)).to.equal(expected)
      })
    }
  })

  describe('proxyFor', () => {
    const cases: Array<[string, NodeJS.ProcessEnv, string | undefined]> = [
      ['http://cidx:8090', {}, undefined],
      ['http://cidx:8090', {HTTP_PROXY: 'http://proxy:3128'}, 'http://proxy:3128'],
      ['http://cidx:8090', {http_proxy: 'http://lower:3128', HTTP_PROXY: 'http://upper:3128'}, 'http://lower:3128'],
      ['http://cidx:8090', {http_proxy: '  ', HTTP_PROXY: 'http://upper:3128'}, 'http://upper:3128'],
      ['http://cidx:8090', {HTTPS_PROXY: 'http://proxy:3128'}, undefined],
      ['https://cidx', {HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:3128'}, 'http://secure:3128'],
      ['https://cidx', {https_proxy: 'http://secure:3128'}, 'http://secure:3128'],
      ['https://cidx', {HTTP_PROXY: 'http://plain:3128'}, 'http://plain:3128'],
      ['https://cidx', {HTTPS_PROXY: 'proxy.corp:3128'}, 'http://proxy.corp:3128'],
      ['https://cidx', {HTTPS_PROXY: 'https://proxy.corp'}, 'https://proxy.corp'],
      ['https://cidx', {HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'cidx'}, undefined],
      ['https://cidx', {HTTPS_PROXY: 'http://proxy:3128', no_proxy: '*'}, undefined],
      ['https://cidx', {HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'other'}, 'http://proxy:3128'],
    ]
    for (const [server, env, expected] of cases) {
      it(`${server} with ${JSON.stringify(env)} → ${expected ?? 'direct'}`, () => {
        expect(proxyFor(server, env)).to.equal(expected)
      })
    }
  })

  describe('proxyAgentsFor', () => {
    it('makes no agent without a proxy, and refuses a proxy that is not a URL without echoing it', async () => {
      expect(await proxyAgentsFor('http://cidx:8090', {})).to.equal(undefined)
      const error = await proxyAgentsFor('http://cidx:8090', {HTTP_PROXY: 'http://user:s3cret@[bad'}).catch(
        (error_: unknown) => error_,
      )
      expect(error).to.be.instanceOf(UsageError)
      expect((error as Error).message).to.not.include('s3cret')
    })

    it('refuses a proxy password that is not valid percent-encoding, without echoing it', async () => {
      const error = await proxyAgentsFor('http://cidx:8090', {HTTP_PROXY: 'http://user:50%zz-s3cret@proxy:3128'}).catch(
        (error_: unknown) => error_,
      )
      expect(error).to.be.instanceOf(UsageError)
      expect((error as UsageError).exitCode).to.equal(2)
      expect((error as Error).message).to.not.include('s3cret')
    })
  })

  describe('through a real proxy on loopback', () => {
    let proxy: Awaited<ReturnType<typeof startProxy>>
    let fake: FakeCidx

    beforeEach(async () => {
      proxy = await startProxy()
      fake = await startFakeCidx({paging: 'correct', jobs: jobSeries(3), features: ['job_filters']})
    })

    afterEach(async () => {
      await fake.close()
      proxy.server.closeAllConnections()
      await new Promise((resolve) => {
        proxy.server.close(resolve)
      })
    })

    function client(env: NodeJS.ProcessEnv, serverUrl = fake.url, debug?: (line: string) => void): JobsClient {
      return new JobsClient({
        credentials: {serverUrl, source: 'env', staticToken: fake.token},
        env,
        retry: {baseDelayMs: 1, limit: 0},
        debug,
      })
    }

    it('sends requests through HTTP_PROXY, by absolute URI, with the server untouched', async () => {
      const lines: string[] = []
      const jobs = client({HTTP_PROXY: proxy.url}, fake.url, (line) => lines.push(line))
      const page = await jobs.listPage({})
      expect(page.jobs).to.have.length(3)
      // The features came with the listing: nothing more to send.
      expect(await jobs.serverFeatures()).to.deep.equal(new Set(['job_filters']))
      expect(proxy.log.forwarded.map((entry) => entry.url)).to.deep.equal([`${fake.url}/api/jobs?limit=50&offset=0`])
      expect(proxy.log.forwarded[0].headers.authorization).to.equal(`Bearer ${fake.token}`)
      expect(proxy.log.forwarded[0].headers.host).to.equal(new URL(fake.url).host)
      expect(proxy.log.tunnels).to.deep.equal([])
      expect(fake.listings).to.have.length(1)
      expect(lines[0]).to.equal(`using a proxy for ${fake.url}`)
    })

    it('goes direct when NO_PROXY names the server', async () => {
      const page = await client({HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1'}).listPage({})
      expect(page.jobs).to.have.length(3)
      expect(proxy.log.forwarded).to.deep.equal([])
      expect(proxy.log.tunnels).to.deep.equal([])
      expect(fake.listings).to.have.length(1)
    })

    it('reads a proxy given without a scheme, and authenticates to it with the credentials in its URL', async () => {
      const {port} = new URL(proxy.url)
      await client({http_proxy: `pat:p%40ss@127.0.0.1:${port}`}).listPage({})
      expect(proxy.log.forwarded).to.have.length(1)
      expect(proxy.log.forwarded[0].headers['proxy-authorization']).to.equal(
        `Basic ${Buffer.from('pat:p@ss').toString('base64')}`,
      )
    })

    it('tunnels https:// servers through HTTPS_PROXY with CONNECT', async () => {
      // The fake speaks plain HTTP, so the TLS handshake inside the tunnel fails: the CONNECT is what counts.
      const target = fake.url.replace('http://', 'https://')
      const error = await client({HTTPS_PROXY: proxy.url}, target)
        .listPage({})
        .catch((error_: unknown) => error_)
      expect(proxy.log.tunnels.map((entry) => entry.target)).to.deep.equal([new URL(fake.url).host])
      expect(error).to.be.instanceOf(NetworkError)
      expect((error as NetworkError).exitCode).to.equal(5)
      expect(fake.listings).to.deep.equal([])
    })

    it('authenticates a CONNECT tunnel with the credentials in the proxy URL', async () => {
      const {port} = new URL(proxy.url)
      await client({HTTPS_PROXY: `http://pat:p%40ss@127.0.0.1:${port}`}, fake.url.replace('http://', 'https://'))
        .listPage({})
        .catch(() => {})
      expect(proxy.log.tunnels).to.have.length(1)
      expect(proxy.log.tunnels[0].headers['proxy-authorization']).to.equal(
        `Basic ${Buffer.from('pat:p@ss').toString('base64')}`,
      )
    })

    it('a proxy that cannot be reached is a network error, exit 5', async () => {
      proxy.server.closeAllConnections()
      await new Promise((resolve) => {
        proxy.server.close(resolve)
      })
      const error = await client({HTTP_PROXY: proxy.url})
        .listPage({})
        .catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(NetworkError)
      expect((error as NetworkError).message).to.match(/connection refused/)
      await new Promise<void>((resolve) => {
        proxy.server.listen(0, '127.0.0.1', resolve)
      })
    })
  })

  /** The built CLI (bin/run.js; `npm test` builds first) as a child process, DEBUG=* as someone chasing a proxy problem sets it. */
  describe('the built CLI through a proxy with DEBUG=*', function () {
    this.timeout(60_000)
    const ROOT = new URL('../..', import.meta.url).pathname
    const ADMIN_PASSWORD = 'admin-pw-never-shown'
    const PROXY_PASSWORD = 'proxy-pw-never-shown'
    let base: string
    let server: ServerHandle
    let proxy: Awaited<ReturnType<typeof startProxy>>

    before(async () => {
      expect(existsSync(join(ROOT, 'dist', 'cidx.cjs')), 'dist/ is missing: run `npm run build`').to.equal(true)
      base = await mkdtemp(join(tmpdir(), 'cidx-proxy-debug-'))
      server = await startLocalServer({port: 0, dataDir: join(base, 'server'), adminPassword: ADMIN_PASSWORD})
      await server.testing.insertJob({status: 'completed', username: 'admin'})
      proxy = await startProxy()
    })

    after(async () => {
      proxy?.server.closeAllConnections()
      await new Promise((resolve) => {
        proxy?.server.close(resolve)
      })
      await server?.close()
      await rm(base, {recursive: true, force: true})
    })

    it("logs in and lists through the proxy, and its debug output holds neither password nor token (the tunnelling agent logs its proxy's URL)", async () => {
      const {host} = new URL(proxy.url)
      const env = {
        PATH: process.env.PATH,
        HOME: base,
        CIDX_CONFIG_DIR: join(base, 'config'),
        CIDX_CACHE_DIR: join(base, 'cache'),
        CIDX_SERVER_URL: server.url,
        CIDX_USERNAME: 'admin',
        CIDX_PASSWORD: ADMIN_PASSWORD,
        HTTP_PROXY: `http://pat:${PROXY_PASSWORD}@${host}`,
        DEBUG: '*',
      }
      const {stdout, stderr} = await promisify(execFile)(
        process.execPath,
        [join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--json'],
        {env, cwd: base},
      )
      expect(JSON.parse(stdout)).to.have.length(1)
      expect(proxy.log.forwarded.map((entry) => new URL(entry.url).pathname)).to.include.members([
        '/auth/login',
        '/api/jobs',
      ])
      expect(stderr, "cidx's own debug lines stay on").to.include(`using a proxy for ${server.url}`)
      for (const secret of [ADMIN_PASSWORD, PROXY_PASSWORD, Buffer.from(`pat:${PROXY_PASSWORD}`).toString('base64')])
        expect(stderr).to.not.include(secret)
      expect(stderr).to.not.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)
    })
  })
})
