import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpClient, describeURL } from '../../src/provider/http-client.js'
import { FreedomIdError } from '../../src/errors.js'
import { closedPort, startServer, type TestServer } from '../helpers/http-server.js'

describe('HttpClient', () => {
  let server: TestServer
  const client = new HttpClient({ timeout: 300, maxResponseBytes: 1024 })

  beforeAll(async () => {
    server = await startServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      if (path.startsWith('/json')) {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ ok: true }))
      } else if (path === '/empty') res.end()
      else if (path === '/html') res.end('<html>oops</html>')
      else if (path === '/html500') {
        res.statusCode = 503
        res.end('<html>down</html>')
      } else if (path === '/huge') res.end(JSON.stringify({ blob: 'x'.repeat(5000) }))
      else if (path === '/huge-chunked') {
        for (let i = 0; i < 10; i++) res.write(`"${'x'.repeat(500)}"`)
        res.end()
      } else if (path === '/chunked') {
        res.write('{"ok":')
        res.end('true}')
      }
      else if (path === '/hang') {
        res.write('{')
      }
    })
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it('sends a JSON body with Basic credentials and parses the JSON answer', async () => {
    const res = await client.send({
      method: 'POST',
      url: `${server.url}/json`,
      operation: 'token',
      basic: { username: 'id', password: 's:cret' },
      json: { code: 'abc' },
    })
    expect(res).toEqual({ status: 200, body: { ok: true } })
    const sent = server.requests.at(-1)!
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from('id:s:cret').toString('base64')}`)
    expect(sent.headers['content-type']).toBe('application/json')
    expect(JSON.parse(sent.body)).toEqual({ code: 'abc' })
  })

  it('sends a form body and a Bearer token', async () => {
    await client.send({ method: 'POST', url: `${server.url}/json`, operation: 'x', bearer: 'tok', form: { a: '1 2' } })
    const sent = server.requests.at(-1)!
    expect(sent.headers.authorization).toBe('Bearer tok')
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(sent.body).toBe('a=1+2')
  })

  it('reuses one keep-alive connection for sequential calls', async () => {
    const before = server.connections
    for (let i = 0; i < 5; i++) await client.send({ method: 'GET', url: `${server.url}/json`, operation: 'x' })
    expect(server.connections - before).toBeLessThanOrEqual(1)
  })

  it('reads a chunked body without Content-Length', async () => {
    expect((await client.send({ method: 'GET', url: `${server.url}/chunked`, operation: 'x' })).body).toEqual({ ok: true })
  })

  it('returns undefined for an empty body', async () => {
    expect((await client.send({ method: 'GET', url: `${server.url}/empty`, operation: 'x' })).body).toBeUndefined()
  })

  const faults: Array<[string, string, string]> = [
    ['a body that is not JSON', '/html', 'RESPONSE_NOT_JSON'],
    ['a 5xx that is not JSON', '/html500', 'PROVIDER_HTTP_ERROR'],
    ['a body over the cap', '/huge', 'RESPONSE_TOO_LARGE'],
    ['a chunked body over the cap', '/huge-chunked', 'RESPONSE_TOO_LARGE'],
    ['an answer that never completes', '/hang', 'PROVIDER_TIMEOUT'],
  ]
  it.each(faults)('turns %s into %s', async (_name, path, code) => {
    const err = await client.send({ method: 'GET', url: `${server.url}${path}?secret=1`, operation: 'userinfo' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FreedomIdError)
    expect((err as FreedomIdError).code).toBe(code)
    expect((err as FreedomIdError).message).not.toContain('secret=1')
  })

  it('reports a refused connection as PROVIDER_UNREACHABLE with status 502 and no credentials in the message', async () => {
    const port = await closedPort()
    const err = (await client
      .send({ method: 'POST', url: `http://127.0.0.1:${port}/token`, operation: 'token', basic: { username: 'id', password: 'TOPSECRET' } })
      .catch((e: unknown) => e)) as FreedomIdError
    expect(err.code).toBe('PROVIDER_UNREACHABLE')
    expect(err.status).toBe(502)
    expect(err.message).not.toContain('TOPSECRET')
    expect(err.message).toContain('token request')
  })

  it('uses the timeout status 504', async () => {
    const err = (await client.send({ method: 'GET', url: `${server.url}/hang`, operation: 'x' }).catch((e: unknown) => e)) as FreedomIdError
    expect(err.status).toBe(504)
  })

  it('describes a URL without its query or credentials', () => {
    expect(describeURL('https://user:pw@host.example/path?code=1')).toBe('https://host.example/path')
    expect(describeURL('not a url')).toBe('(invalid URL)')
  })
})
