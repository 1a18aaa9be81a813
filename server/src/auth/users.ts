import type {Db} from '../db/database.js'

import {nowMicros} from '../time.js'
import {hashPassword} from './passwords.js'

export const ROLES = ['admin', 'power_user', 'normal_user'] as const
export type Role = (typeof ROLES)[number]

/** Usernames name directories of working copies: a safe character set, never `.` or `..`. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

export interface StoredUser {
  created_us: number
  password_hash: string
  role: Role
  username: string
}

/** A new user's row, the name and role checked, the password hashed (for either store). */
export async function newUser(username: string, password: string, role: Role): Promise<StoredUser> {
  if (!new RegExp(USERNAME_PATTERN).test(username)) throw new Error(`Invalid username: ${username}`)
  if (!ROLES.includes(role)) throw new Error(`Invalid role: ${role}`)
  return {username, role, password_hash: await hashPassword(password), created_us: nowMicros()}
}

export class UserStore {
  constructor(private readonly db: Db) {}

  /** Adds a user; returns null when the name is taken. */
  async create(username: string, password: string, role: Role): Promise<null | StoredUser> {
    const user = await newUser(username, password, role)
    const inserted = this.db
      .prepare(
        'INSERT OR IGNORE INTO users (username, password_hash, role, created_us) VALUES (@username, @password_hash, @role, @created_us)',
      )
      .run(user)
    return inserted.changes === 1 ? user : null
  }

  /** The user of that name, if there is one. */
  get(username: string): StoredUser | undefined {
    return this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as StoredUser | undefined
  }
}
