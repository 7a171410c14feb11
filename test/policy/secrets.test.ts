import { describe, expect, it } from 'vitest';
import type { NormalizedType } from '../../src/introspect/model.js';
import { looksSecret } from '../../src/policy/secrets.js';

/**
 * The secret-column heuristic (issue 8, item 3) on real-world names, both ways: joined names (PostgreSQL folds an
 * unquoted `passwordHash` to `passwordhash`), camelCase and PascalCase, and look-alikes that must stay visible.
 */

const SECRET: readonly string[] = [
  // Returned to the attacker in issue 8: joined names as PostgreSQL folds them.
  'passwordhash', 'pwdhash', 'authtoken', 'apitoken', 'accesstoken', 'refreshtoken', 'clientsecret',
  // More joined (folded) names.
  'apikey', 'privatekey', 'sessiontoken', 'csrftoken', 'resetpasswordtoken', 'githubaccesstoken', 'useractivationkey',
  'encryptedpassword', 'hashedpassword', 'refreshtokenhash', 'twofactorsecret', 'stripesecretkey', 'dbpassword',
  'smtppassword', 'userpass', 'rememberdigest', 'passwordsalt', 'pinhash', 'oauthtoken', 'backupcodes',
  // snake_case.
  'password', 'password_hash', 'reset_password_token', 'user_pass', 'github_access_token', 'refresh_token_hash',
  'encrypted_password', 'password_encrypted', 'api_key', 'api_token', 'salt', 'passwd', 'pwd', 'passphrase', 'secret',
  'token', 'credentials', 'private_key', 'secret_key', 'access_key', 'auth_key', 'signing_key', 'encryption_key',
  'otp', 'totp', 'mfa_secret', 'pin_code', 'pin', 'user_pin', 'hashed_password', 'old_password', 'password_sha256',
  'password_md5', 'ssh_private_key', 'license_key', 'security_answer', 'seed_phrase', 'api_key_2', 'totp_seed', 'cvv',
  'file_hash',
  // WordPress.
  'user_activation_key', 'post_password',
  // Rails: Devise, has_secure_password, the Rails Tutorial, devise-two-factor, Authlogic.
  'confirmation_token', 'unlock_token', 'authentication_token', 'password_digest', 'remember_digest',
  'activation_digest', 'otp_secret', 'encrypted_otp_secret', 'encrypted_otp_secret_iv', 'encrypted_otp_secret_salt',
  'otp_backup_codes', 'secret_key_base', 'crypted_password', 'password_salt', 'persistence_token',
  'single_access_token', 'perishable_token',
  // Django and Django REST framework / oauth toolkit.
  'session_key', 'client_secret',
  // Laravel.
  'remember_token', 'two_factor_secret', 'two_factor_recovery_codes',
  // Auth0 / OIDC, camelCase.
  'clientSecret', 'refreshToken', 'accessToken', 'idToken', 'passwordHash', 'mfaSecret', 'recoveryCode', 'apiKeyV2',
  // Stripe, AWS, OAuth 1.
  'stripe_secret_key', 'webhook_secret', 'webhookSigningSecret', 'aws_secret_access_key', 'oauth_token',
  'oauth_token_secret', 'consumer_secret',
  // PascalCase (ASP.NET Identity, SQL Server habits) and acronyms.
  'PasswordHash', 'RefreshToken', 'ClientSecret', 'APIKey', 'OAuthToken', 'JWTSecret', 'PINCode', 'PassWord',
];

const VISIBLE: readonly string[] = [
  // Named in issue 8.
  'token_count', 'hash_tags', 'keyword', 'passport_country', 'secretary_name',
  // A head followed by what else the column is.
  'token_type', 'token_id', 'token_version', 'tokens_used', 'token_expires_at', 'credential_id', 'credential_type',
  'password_reset_sent_at', 'reset_password_sent_at', 'password_changed_at', 'password_expires_at', 'secret_name',
  'secret_question', 'hash_algorithm', 'hash_id', 'pin_count', 'digest_frequency', 'pass_rate',
  // Keys that are no secret.
  'key', 'sort_key', 'primary_key', 'public_key', 'idempotency_key', 'cache_key', 'partition_key', 'translation_key',
  'object_key', 'key_name', 'aws_access_key_id', 'private_key_id', 'api_key_id', 'api_key_prefix',
  'stripe_publishable_key', 'publishable_key', 'stripe_customer_id',
  // Codes that are no secret.
  'zip_code', 'postal_code', 'country_code', 'promo_code', 'barcode', 'shortcode',
  // Ordinary words ending or starting like a head.
  'basalt', 'passport', 'passport_number', 'keywords', 'monkey', 'turkey', 'whiskey', 'bypass', 'compass', 'trespass',
  'spin', 'rehash', 'pinned', 'tokenizer', 'passwordless', 'secretariat', 'saltwater',
  // Joined (folded) and camelCase look-alikes.
  'tokencount', 'hashtags', 'secretaryname', 'passportcountry', 'passwordresetsentat', 'tokentype', 'credentialid',
  'TokenCount', 'HashTags', 'SecretaryName', 'tokenCount', 'passportCountry', 'remember_created_at',
  'sign_in_count',
];

describe('looksSecret', () => {
  it('is checked on at least 40 real-world names each way', () => {
    expect(SECRET.length).toBeGreaterThanOrEqual(40);
    expect(VISIBLE.length).toBeGreaterThanOrEqual(40);
    expect(SECRET.filter((name) => VISIBLE.includes(name))).toEqual([]);
  });

  it.each(SECRET)('hides %s', (name) => {
    expect(looksSecret(name)).toBe(true);
  });

  it.each(VISIBLE)('shows %s', (name) => {
    expect(looksSecret(name)).toBe(false);
  });

  it.each(['boolean', 'date', 'datetime', 'time'] as const)('shows a %s column whatever its name: it cannot hold a credential', (type) => {
    for (const name of ['has_password', 'is_secret', 'must_change_password', 'uses_api_key', 'password_hash', 'token']) {
      expect(looksSecret(name), name).toBe(true);
      expect(looksSecret(name, type), `${name} ${type}`).toBe(false);
    }
  });

  it.each(['string', 'integer', 'binary', 'json', 'uuid', 'unknown'] as const satisfies readonly NormalizedType[])(
    'hides a secret-looking %s column',
    (type) => {
      for (const name of ['password_hash', 'passwordhash', 'pin', 'api_key', 'credentials']) expect(looksSecret(name, type), name).toBe(true);
    },
  );
});
