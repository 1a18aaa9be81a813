/**
 * Secrets never reach output, logs, errors or --json. Everything the client prints or puts in an
 * error goes through here: known secrets (the password and tokens in use) are replaced wherever
 * they appear, and anything shaped like a secret (JWTs, API keys, Bearer values, secret fields).
 */

const REDACTED = '[REDACTED]'

const SECRET_KEYS = /^(password|access_token|refresh_token|token|api_key|mfa_token|totp_code|authorization|secret)$/i

const PATTERNS: RegExp[] = [
  /\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, // JWTs
  /\bcidx_sk_[0-9a-z]+/gi, // API keys
  /(?<=\bBearer\s+)[^\s"',;]+/gi, // Authorization values
]

const SECRET_FIELD_NAME = '(?:password|access_token|refresh_token|api_key|mfa_token|totp_code)["\']?'

/** `"password": "..."`: the whole quoted value (a password may hold spaces and escaped quotes). */
const QUOTED_SECRET_FIELD = new RegExp(
  `(${SECRET_FIELD_NAME}\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*')`,
  'gi',
)

/**
 * `password=...`, `refresh_token:...`: a bare value up to a separator. Not after ": ", which is how
 * messages name a field ("refresh_token: Field required").
 */
const BARE_SECRET_FIELD = new RegExp(`(${SECRET_FIELD_NAME}(?:\\s*=\\s*|:))([^"'\\s,&}]+)`, 'gi')

function redactFieldValue(_match: string, key: string, value: string): string {
  const quote = value[0] === '"' || value[0] === "'" ? value[0] : ''
  return `${key}${quote}${REDACTED}${quote}`
}

export function redact(text: string, knownSecrets: Iterable<null | string | undefined> = []): string {
  let out = text
  for (const secret of knownSecrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED)
  }

  for (const pattern of PATTERNS) out = out.replace(pattern, REDACTED)
  return out.replaceAll(QUOTED_SECRET_FIELD, redactFieldValue).replaceAll(BARE_SECRET_FIELD, redactFieldValue)
}

/** A deep copy with secret-named fields replaced and every string redacted. */
export function redactValue<T>(value: T, knownSecrets: Iterable<null | string | undefined> = []): T {
  const secrets = [...knownSecrets]
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return redact(item, secrets)
    if (Array.isArray(item)) return item.map((entry) => walk(entry))
    if (item && typeof item === 'object') {
      return Object.fromEntries(
        Object.entries(item).map(([key, entry]) => [key, SECRET_KEYS.test(key) ? REDACTED : walk(entry)]),
      )
    }

    return item
  }

  return walk(value) as T
}
