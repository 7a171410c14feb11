/**
 * Column names that usually hold credentials. Matched against the snake_case form of the name, so
 * `PasswordHash`, `password_hash` and `API-Key` are all caught.
 */
const SECRET_NAME =
  /(^|_)(password|passwd|pwd|passphrase|secret|secrets|token|tokens|salt|credential|credentials|api_?key|private_?key|secret_?key|access_?key|auth_?key|signing_?key|encryption_?key|otp|totp|mfa_secret|pin_code)(_|$)|(^|_)hash(ed)?$|_digest$/;

/** True when the column name looks like it holds a secret (password, token, api key, `*_hash`, salt…). */
export function looksSecret(columnName: string): boolean {
  return SECRET_NAME.test(toSnake(columnName));
}

function toSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
}
