import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpClient, formURLEncode } from '../../src/provider/http-client.js'
import { postTokenRequest } from '../../src/provider/token-exchange.js'
import { fetchUserInfo } from '../../src/provider/userinfo.js'
import { FreedomIdError } from '../../src/errors.js'
import { startServer, type TestServer } from '../helpers/http-server.js'

const SECRET = 'p+s/w=r%d:x y&é'
let server: TestServer
const http = new HttpClient({ timeout: 1000 })

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/userinfo.jwt') {
      res.setHeader('content-type', 'application/jwt; charset=utf-8')
      res.end('aaa.bbb.ccc\n')
      return
    }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ access_token: 'at', id_token: 'x.y.z' }))
  })
})
afterAll(async () => {
  await http.close()
  await server.close()
})

function sentCredentials(): { header: string | undefined; body: URLSearchParams | Record<string, unknown> } {
  const sent = server.requests.at(-1)!
  const body = sent.headers['content-type'] === 'application/json' ? JSON.parse(sent.body) : new URLSearchParams(sent.body)
  return { header: sent.headers.authorization, body }
}

describe('token endpoint client authentication', () => {
  const endpoint = (authMethod?: 'basic' | 'client_secret_basic' | 'client_secret_post') => ({
    tokenURL: `${server.url}/token`,
    clientID: 'client:1',
    clientSecret: SECRET,
    format: 'form' as const,
    ...(authMethod && { authMethod }),
  })

  it('sends Freedom ID\'s raw Basic credentials by default', async () => {
    await postTokenRequest(http, endpoint(), { grant_type: 'authorization_code', code: 'c' })
    expect(sentCredentials().header).toBe(`Basic ${Buffer.from(`client:1:${SECRET}`).toString('base64')}`)
    expect((sentCredentials().body as URLSearchParams).has('client_secret')).toBe(false)
  })

  it('form-urlencodes each part before base64 with client_secret_basic (RFC 6749 §2.3.1)', async () => {
    await postTokenRequest(http, endpoint('client_secret_basic'), { grant_type: 'authorization_code', code: 'c' })
    const decoded = Buffer.from(sentCredentials().header!.slice('Basic '.length), 'base64').toString()
    expect(decoded).toBe('client%3A1:p%2Bs%2Fw%3Dr%25d%3Ax+y%26%C3%A9')
    const [id, secret] = decoded.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
    expect([id, secret]).toEqual(['client:1', SECRET])
  })

  it('sends client_id and client_secret in the body and no Authorization header with client_secret_post', async () => {
    await postTokenRequest(http, endpoint('client_secret_post'), { grant_type: 'authorization_code', code: 'c' })
    const { header, body } = sentCredentials()
    expect(header).toBeUndefined()
    expect((body as URLSearchParams).get('client_id')).toBe('client:1')
    expect((body as URLSearchParams).get('client_secret')).toBe(SECRET)
  })

  it('leaves plain ids and secrets unchanged under form encoding, where both Basic forms agree', () => {
    expect(formURLEncode('emulator-demo-secret_not.for*production')).toBe('emulator-demo-secret_not.for*production')
  })
})

describe('a signed userinfo answer', () => {
  it('is handed to the verifier as its JWT text', async () => {
    const seen: string[] = []
    const claims = await fetchUserInfo(http, `${server.url}/userinfo.jwt`, 'at', async (jwt) => {
      seen.push(jwt)
      return { sub: 's1' }
    })
    expect(seen).toEqual(['aaa.bbb.ccc'])
    expect(claims).toEqual({ sub: 's1' })
    expect(server.requests.at(-1)!.headers.accept).toContain('application/jwt')
  })

  it('is USERINFO_INVALID where no verifier is given (the OAuth2 flavour)', async () => {
    const err = await fetchUserInfo(http, `${server.url}/userinfo.jwt`, 'at').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FreedomIdError)
    expect((err as FreedomIdError).code).toBe('USERINFO_INVALID')
  })
})
