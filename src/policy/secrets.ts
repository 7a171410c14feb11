import type { NormalizedType } from '../introspect/model.js';

/**
 * Whether a column name looks like it holds a credential. Names are compared as lower-case words, and a word may be
 * several joined together: PostgreSQL folds an unquoted `passwordHash` to `passwordhash`. Plain substring matching
 * cannot work (`secretary_name`, `token_count`, `hash_tags`, `basalt`, `keyword`, `passport`), so a name is secret
 * when one of its words ends in a head word (below) and every word after it only says how the value is stored
 * (`password_hash`, `refresh_token_enc`), never what else it is (`token_count`, `password_reset_sent_at`).
 */

/** Head words that end no ordinary word: joined after anything, they stay heads (`githubaccesstoken`, `dbpassword`). */
const HEADS = [
  'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'passcode',
  'secret', 'secrets', 'token', 'tokens', 'credential', 'credentials',
  'jwt', 'otp', 'totp', 'hotp', 'cvv', 'cvc',
];

/** Head words that also end ordinary words (`bypass`, `basalt`, `rehash`, `spin`): joined, only after {@link JOINED_QUALIFIERS}. */
const SHORT_HEADS = ['pass', 'pw', 'salt', 'hash', 'hashes', 'hashed', 'digest', 'pin'];

/** What may come before a short head in one joined word: `userpass`, `dbpw`, `rememberdigest`, `saltedhash`. */
const JOINED_QUALIFIERS = [
  'user', 'admin', 'root', 'db', 'database', 'login', 'account', 'app', 'mail', 'email', 'smtp', 'imap', 'ftp',
  'sftp', 'ldap', 'wifi', 'card', 'atm', 'remember', 'activation', 'reset', 'confirmation', 'unlock', 'auth',
  'master', 'salted', 'encrypted', 'hashed', 'crypted',
];

const KEY_QUALIFIERS = [
  'api', 'private', 'secret', 'access', 'auth', 'signing', 'encryption', 'decryption', 'session', 'client', 'master',
  'ssh', 'tls', 'ssl', 'gpg', 'pgp', 'license', 'licence', 'activation', 'shared', 'hmac', 'recovery', 'jwt',
];
const CODE_QUALIFIERS = [
  'backup', 'recovery', 'otp', 'totp', 'mfa', 'factor', 'verification', 'security', 'auth', 'authorization', 'access',
  'activation', 'reset', 'confirmation', 'unlock', 'login', 'sms', 'pin', 'pass',
];

/**
 * Words that are heads only right after a qualifier, in the same word or the word before: `api_key`, `apikey`,
 * `user_activation_key`, `recovery_codes`, `seed_phrase`, `PassWord` are secret; `key`, `sort_key`, `public_key`,
 * `zip_code`, `keyword` are not.
 */
const QUALIFIED_HEADS: readonly (readonly [string, readonly string[]])[] = [
  ['key', KEY_QUALIFIERS],
  ['keys', KEY_QUALIFIERS],
  ['code', CODE_QUALIFIERS],
  ['codes', CODE_QUALIFIERS],
  ['answer', ['secret', 'security']],
  ['phrase', ['pass', 'secret', 'seed', 'recovery', 'mnemonic']],
  ['word', ['pass', 'secret']],
  ['number', ['pin']],
];

/** Words that only say how a secret is stored, so a head followed by them is still a secret (`password_hash_sha256`). */
const SUFFIXES = [
  'hash', 'hashes', 'hashed', 'digest', 'salt', 'seed', 'iv', 'encrypted', 'enc', 'encoded', 'crypted', 'crypt',
  'cipher', 'ciphertext', 'plain', 'plaintext', 'clear', 'cleartext', 'raw', 'value', 'data', 'text', 'str', 'string', 'json',
  'blob', 'bin', 'bytes', 'pem', 'hex', 'base', 'bcrypt', 'scrypt', 'argon', 'pbkdf', 'sha', 'md', 'v', 'old', 'new',
  'prev', 'previous', 'temp', 'tmp', 'backup', 'confirm', 'confirmation',
];

/** Types whose values cannot be a credential (`has_password`, `is_secret`, `password_changed_at`). */
const HARMLESS_TYPES: ReadonlySet<NormalizedType> = new Set(['boolean', 'date', 'datetime', 'time']);

/**
 * True when the column looks like it holds a secret: a password, token, api key, salt or hash of one, by its name
 * (`password_hash`, `passwordhash`, `PasswordHash`, `user_pass`, `api_key`, `clientSecret`), unless its type cannot
 * hold one. `token_count`, `hash_tags`, `secretary_name`, `keyword`, `sort_key` are not secret.
 */
export function looksSecret(columnName: string, type?: NormalizedType): boolean {
  if (type !== undefined && HARMLESS_TYPES.has(type)) return false;
  const words = wordsOf(columnName);
  return words.some(
    (word, index) => endsInHead(word, words[index - 1] ?? '') && words.slice(index + 1).every((after) => isRunOf(after, SUFFIXES)),
  );
}

/** Lower-case words of a name, split at camelCase boundaries, digits and any other separator (`apiKey2` → api, key). */
function wordsOf(name: string): string[] {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((word) => word !== '');
}

/** Whether `word` is a head, possibly joined to qualifiers before it and suffixes after it (`pwdhash`, `apikeyenc`). */
function endsInHead(word: string, previous: string): boolean {
  for (let end = 1; end <= word.length; end += 1) {
    if (isHead(word.slice(0, end), previous) && isRunOf(word.slice(end), SUFFIXES)) return true;
  }
  return false;
}

function isHead(text: string, previous: string): boolean {
  if (HEADS.some((head) => text.endsWith(head))) return true;
  if (SHORT_HEADS.some((head) => text.endsWith(head) && isRunOf(text.slice(0, -head.length), JOINED_QUALIFIERS))) return true;
  return QUALIFIED_HEADS.some(([head, qualifiers]) => {
    if (!text.endsWith(head)) return false;
    const before = text.slice(0, -head.length) || previous;
    return qualifiers.some((qualifier) => before.endsWith(qualifier));
  });
}

/** Whether `text` is made of `words` joined together (`hashhex`); the empty text is. */
function isRunOf(text: string, words: readonly string[]): boolean {
  const reachable = [true];
  for (let at = 0; at < text.length; at += 1) {
    if (!reachable[at]) continue;
    for (const word of words) if (text.startsWith(word, at)) reachable[at + word.length] = true;
  }
  return reachable[text.length] === true;
}
