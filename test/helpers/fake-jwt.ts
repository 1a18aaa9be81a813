/**
 * An unsigned JWT-shaped token with the given claims, as a CIDX server puts them in (`exp`/`iat`
 * are float seconds): the client only reads claims, the server would verify.
 */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({alg: 'HS256', typ: 'JWT'})}.${part(claims)}.c2lnbmF0dXJl`
}
