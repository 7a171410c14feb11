/**
 * Keeps database passwords out of everything the CLI prints: URLs lose their password part, and every
 * password seen while parsing `--db` / `--keys-db` is masked wherever a driver might echo it.
 */
const secrets = new Set<string>();

/** Remembers a password so {@link redact} masks it anywhere. */
export function registerSecret(value: string): void {
  // Masking one- or two-character strings would garble messages more than it protects.
  if (value.length >= 3) secrets.add(value);
}

const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):\S*@/gi;
const QUERY_PASSWORD = /([?&;](?:password|pass|pwd|sslpassword|sslkey)=)[^&;\s]*/gi;

/** `text` with URL passwords and every registered secret replaced by `***`. */
export function redact(text: string): string {
  let result = text.replace(URL_PASSWORD, '$1:***@').replace(QUERY_PASSWORD, '$1***');
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}
