/**
 * A realistic SaaS billing and product schema: 150 tables and 10 views, the same logical schema on SQLite,
 * PostgreSQL and MySQL/MariaDB, generated from the declarative list below.
 *
 * What it has, because real schemas have it: wide tables (`organization_settings` has 80 columns; `invoices`,
 * `accounts`, `subscriptions`, `users` and `customers` 30–52), enums (PostgreSQL `CREATE TYPE … AS ENUM`, MySQL
 * `ENUM`, SQLite `TEXT CHECK (col IN (…))`), JSON columns (`jsonb` / `JSON` / `TEXT`), UUID primary keys
 * (`uuid` / `CHAR(36)` / `TEXT`), string primary keys, composite primary and foreign keys, join tables, self
 * references, audit and log tables, views with joins and aggregates, secret-looking columns (`key_hash`,
 * `password_hash`), and table and column comments (PostgreSQL and MariaDB; SQLite has none). `usage_records` is
 * partitioned by range on PostgreSQL (three partitions, which introspection must not list); it is a plain table on
 * MySQL/MariaDB, where a partitioned InnoDB table could have no foreign keys and the schema would differ.
 *
 * Core tables get a few deterministic rows (the same on every dialect), consistent enough to answer questions:
 * invoice totals are the sum of their items plus tax, paid invoices have a payment, and so on.
 *
 * Column syntax: `name type [!] [unique] [=default] [# comment]` where `!` is NOT NULL and type is one of `pk`
 * (auto-increment integer key), `uuidpk`, `int`, `bigint`, `smallint`, `string(n)`, `text`, `bool`,
 * `decimal(p,s)`, `money` (decimal(12,2)), `float`, `datetime`, `date`, `json`, `uuid`, `enum(name)`,
 * `ref(table)` / `ref(table.column)` (a foreign key, typed like the column it references).
 */
import type { Knex } from 'knex';
import type { Dialect } from '../../../src/introspect/model.js';
import { literal, quote, runStatements } from './ddl.js';

type Row = Record<string, unknown>;

interface TableSpec {
  readonly name: string;
  readonly comment: string;
  readonly columns: readonly string[];
  readonly primaryKey?: readonly string[];
  readonly unique?: readonly (readonly string[])[];
  readonly foreignKeys?: readonly { readonly columns: readonly string[]; readonly table: string; readonly references: readonly string[] }[];
  /** PostgreSQL only: PARTITION BY RANGE (column), partitions [suffix, from, to). */
  readonly partition?: { readonly column: string; readonly ranges: readonly (readonly [string, string, string])[] };
  /** Rows inserted: how many, and values that replace the generated ones. */
  readonly seed?: { readonly rows: number; readonly values?: (index: number) => Row };
}

interface ViewSpec {
  readonly name: string;
  readonly comment: string;
  readonly sql: string;
}

// ---------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------

const ENUMS: Readonly<Record<string, readonly string[]>> = {
  industry: ['software', 'finance', 'healthcare', 'retail', 'education', 'manufacturing', 'media', 'other'],
  account_status: ['trialing', 'active', 'past_due', 'suspended', 'churned'],
  plan_tier: ['free', 'starter', 'pro', 'enterprise'],
  risk_level: ['low', 'medium', 'high'],
  acquisition_source: ['organic', 'paid_search', 'referral', 'partner', 'outbound', 'event'],
  user_status: ['invited', 'active', 'suspended', 'deactivated'],
  team_role: ['owner', 'admin', 'member', 'viewer'],
  invitation_status: ['pending', 'accepted', 'expired', 'revoked'],
  mfa_kind: ['totp', 'sms', 'webauthn', 'backup_codes'],
  actor_type: ['user', 'api_key', 'system', 'support'],
  product_kind: ['service', 'good', 'add_on', 'usage'],
  billing_scheme: ['per_unit', 'tiered', 'volume', 'flat'],
  billing_interval: ['day', 'week', 'month', 'year'],
  usage_type: ['licensed', 'metered'],
  tax_behavior: ['inclusive', 'exclusive', 'unspecified'],
  meter_aggregation: ['sum', 'max', 'last', 'count'],
  payment_method_type: ['card', 'sepa_debit', 'ach_debit', 'bank_transfer', 'paypal'],
  subscription_status: ['trialing', 'active', 'past_due', 'paused', 'canceled', 'incomplete', 'unpaid'],
  collection_method: ['charge_automatically', 'send_invoice'],
  cancellation_reason: ['too_expensive', 'missing_features', 'switched_service', 'unused', 'customer_service', 'other'],
  subscription_event_type: ['created', 'upgraded', 'downgraded', 'renewed', 'paused', 'resumed', 'canceled'],
  invoice_status: ['draft', 'open', 'paid', 'void', 'uncollectible'],
  billing_reason: ['subscription_create', 'subscription_cycle', 'subscription_update', 'manual', 'upcoming'],
  payment_status: ['pending', 'processing', 'succeeded', 'failed', 'canceled', 'requires_action'],
  processor: ['stripe', 'adyen', 'braintree', 'paypal', 'bank'],
  refund_reason: ['duplicate', 'fraudulent', 'requested_by_customer', 'expired_uncaptured'],
  refund_status: ['pending', 'succeeded', 'failed', 'canceled'],
  dispute_status: ['warning_needs_response', 'needs_response', 'under_review', 'won', 'lost'],
  coupon_duration: ['once', 'repeating', 'forever'],
  quote_status: ['draft', 'open', 'accepted', 'canceled', 'expired'],
  notification_channel: ['email', 'sms', 'push', 'in_app', 'slack', 'webhook'],
  delivery_status: ['queued', 'sending', 'succeeded', 'failed', 'bounced'],
  checkout_status: ['open', 'complete', 'expired'],
  ledger_account_type: ['asset', 'liability', 'equity', 'revenue', 'expense'],
  webhook_status: ['enabled', 'disabled', 'failing'],
  job_status: ['queued', 'running', 'succeeded', 'failed', 'canceled'],
  log_level: ['debug', 'info', 'warn', 'error', 'fatal'],
  ticket_status: ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'],
  priority: ['low', 'normal', 'high', 'urgent'],
  opportunity_stage: ['prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost'],
  visibility: ['private', 'internal', 'public'],
  deployment_status: ['pending', 'building', 'deploying', 'live', 'failed', 'rolled_back'],
  incident_status: ['investigating', 'identified', 'monitoring', 'resolved'],
  severity: ['minor', 'major', 'critical'],
  experiment_status: ['draft', 'running', 'paused', 'completed'],
};

// ---------------------------------------------------------------------------
// Seed helpers (deterministic: a row's values depend only on its table and index)
// ---------------------------------------------------------------------------

const COMPANY = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne', 'Soylent', 'Vandelay'];
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Frances', 'Dennis', 'Radia', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Allen', 'Ritchie', 'Perlman', 'Torvalds'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR'];
const CURRENCY_OF_ACCOUNT = ['USD', 'EUR', 'EUR', 'GBP', 'USD', 'USD'];
const PLAN_CODES = ['free', 'starter', 'pro', 'enterprise'];
/** Monthly price of each plan, in cents. */
const PLAN_CENTS = [0, 4_900, 19_900, 99_900];
const ACCOUNTS = 12;
const MONTHS = 4;
/** The account whose card keeps failing: one uncollectible invoice, an open one, failed payments. */
const PAST_DUE = 7;

function at(hoursAfter: number): Date {
  return new Date(Date.UTC(2026, 0, 5, 8) + hoursAfter * 3_600_000);
}
function money(cents: number): string {
  return (cents / 100).toFixed(2);
}
function uuid(table: string, index: number): string {
  let hash = 0x811c9dc5;
  for (const char of table) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return `${hash.toString(16).padStart(8, '0')}-0000-4000-8000-${(index + 1).toString(16).padStart(12, '0')}`;
}

/** Account `a`'s plan index: a quarter of the accounts on each plan. */
const planOf = (account: number) => account % 4;
/** Invoice `i` (ACCOUNTS × MONTHS of them): account, month, amounts in cents. */
function invoiceOf(index: number) {
  const account = index % ACCOUNTS;
  const month = Math.floor(index / ACCOUNTS);
  const base = PLAN_CENTS[planOf(account)] ?? 0;
  const usage = ((account * 31 + month * 17) % 40) * 250;
  const subtotal = base + usage;
  const tax = Math.round(subtotal * 0.1);
  const status = month === MONTHS - 1 ? (account % 3 === 0 || account === PAST_DUE ? 'open' : 'paid') : account === PAST_DUE && month === 1 ? 'uncollectible' : 'paid';
  return { account, month, base, usage, subtotal, tax, total: subtotal + tax, status, paid: status === 'paid' };
}
/** Paid invoices, in invoice order: one payment each. */
const PAID_INVOICES = Array.from({ length: ACCOUNTS * MONTHS }, (_, index) => index).filter((index) => invoiceOf(index).paid);

// ---------------------------------------------------------------------------
// The schema, in dependency order
// ---------------------------------------------------------------------------

const TIMESTAMPS = ['created_at datetime! =now', 'updated_at datetime! =now'];
const CREATED = 'created_at datetime! =now';

const SETTINGS_FLAGS = [
  'allow_signups', 'require_mfa', 'enforce_sso', 'allow_api_access', 'allow_public_sharing', 'allow_guest_users',
  'allow_custom_domains', 'enable_audit_log_export', 'enable_ip_allowlist', 'enable_session_timeout',
  'enable_data_residency', 'enable_beta_features', 'enable_ai_features', 'enable_webhooks', 'enable_sandbox',
  'enable_usage_alerts', 'enable_invoice_emails', 'enable_dunning', 'enable_tax_collection', 'enable_multi_currency',
  'enable_proration', 'enable_trials', 'enable_coupons', 'enable_self_serve_upgrade', 'enable_self_serve_cancel',
  'enable_scim', 'enable_slack_notifications', 'enable_email_digest', 'enable_marketing_emails', 'enable_product_tours',
];
const SETTINGS_NUMBERS = [
  'session_timeout_minutes', 'password_min_length', 'password_expiry_days', 'max_login_attempts', 'lockout_minutes',
  'max_api_keys', 'api_rate_limit_per_minute', 'max_webhooks', 'webhook_retry_limit', 'max_seats', 'max_projects',
  'max_workspaces', 'max_storage_gb', 'data_retention_days', 'audit_log_retention_days', 'invoice_due_days',
  'dunning_retry_days', 'trial_length_days', 'grace_period_days', 'fiscal_year_start_month',
];

const TABLES: readonly TableSpec[] = [
  // --- Tenancy and identity -------------------------------------------------
  {
    name: 'organizations',
    comment: 'Top-level tenant: a company using the product. Parent organizations group subsidiaries.',
    columns: [
      'id pk', 'parent_id ref(organizations) # Holding organization, if any', 'name string(200)!', 'slug string(100)! unique',
      'legal_name string(200)', 'industry enum(industry)', 'employee_count int', 'website string(255)', 'country_code string(2)',
      'timezone string(64)', 'locale string(16)', 'logo_url string(500)', 'is_enterprise bool! =false', 'trial_ends_at datetime',
      'deleted_at datetime', ...TIMESTAMPS,
    ],
    seed: { rows: 3, values: (i) => ({ name: `${COMPANY[i]} Group`, slug: (COMPANY[i] ?? '').toLowerCase(), is_enterprise: i === 0 }) },
  },
  {
    name: 'organization_domains',
    comment: 'Email domains an organization has claimed for automatic membership.',
    columns: ['id pk', 'organization_id ref(organizations)!', 'domain string(255)! unique', 'verified bool! =false', 'verification_method string(20)', 'verified_at datetime', CREATED],
  },
  {
    name: 'organization_settings',
    comment: 'One row of settings per organization: security, billing and product preferences.',
    columns: [
      'id pk', 'organization_id ref(organizations)! unique',
      ...SETTINGS_FLAGS.map((name) => `${name} bool! =false`),
      ...SETTINGS_NUMBERS.map((name) => `${name} int`),
      'default_locale string(16)', 'default_timezone string(64)', 'default_currency string(3) =USD', 'date_format string(20)',
      'time_format string(20)', 'number_format string(20)', 'week_start string(10)', 'brand_color string(7)', 'accent_color string(7)',
      'logo_url string(500)', 'favicon_url string(500)', 'support_email string(255)', 'billing_email string(255)',
      'security_contact_email string(255)', 'invoice_prefix string(12)', 'ip_allowlist json # CIDR ranges allowed to sign in',
      'sso_settings json', 'notification_settings json', 'custom_fields json', 'feature_overrides json', 'data_region string(16)',
      'default_tax_rate decimal(6,4)', 'late_fee_percentage decimal(5,2)', 'minimum_charge money', 'support_tier enum(plan_tier)',
      'terms_accepted_at datetime', ...TIMESTAMPS,
    ],
    seed: { rows: 3 },
  },
  {
    name: 'accounts',
    comment: 'A billing account of an organization; subscriptions, invoices and usage belong to an account.',
    columns: [
      'id pk', 'organization_id ref(organizations)!', 'name string(200)!', 'slug string(100)! unique', 'status enum(account_status)! =trialing',
      'plan_tier enum(plan_tier)', 'billing_email string(255)', 'billing_name string(200)', 'currency string(3)! =USD # ISO 4217 code',
      'country_code string(2)', 'tax_exempt bool! =false', 'tax_id_verified bool', 'balance money # Credit balance, negative when the account owes',
      'credit_limit money', 'mrr money # Monthly recurring revenue in the account currency', 'arr money', 'lifetime_value money',
      'seats_purchased int', 'seats_used int', 'storage_quota_gb int', 'storage_used_gb decimal(12,3)', 'api_calls_quota bigint',
      'api_calls_used bigint', 'health_score smallint # 0-100, computed nightly', 'churn_risk enum(risk_level)', 'owner_user_id int',
      'sales_rep string(100)', 'source enum(acquisition_source)', 'referral_code string(32)', 'metadata json', 'notes text',
      'onboarded_at datetime', 'activated_at datetime', 'churned_at datetime', 'trial_ends_at datetime', 'last_seen_at datetime',
      ...TIMESTAMPS, 'deleted_at datetime',
    ],
    seed: {
      rows: ACCOUNTS,
      values: (i) => ({
        organization_id: (i % 3) + 1,
        name: `${COMPANY[i]} ${['Analytics', 'Cloud', 'Labs'][i % 3]}`,
        slug: `${(COMPANY[i] ?? '').toLowerCase()}-${i + 1}`,
        status: i === 5 ? 'churned' : i === PAST_DUE ? 'past_due' : i === 10 ? 'trialing' : 'active',
        plan_tier: PLAN_CODES[planOf(i)],
        currency: CURRENCY_OF_ACCOUNT[i % CURRENCY_OF_ACCOUNT.length],
        country_code: COUNTRIES[i % COUNTRIES.length],
        mrr: money(PLAN_CENTS[planOf(i)] ?? 0),
        arr: money((PLAN_CENTS[planOf(i)] ?? 0) * 12),
        churned_at: i === 5 ? at(24 * 80) : null,
        metadata: JSON.stringify({ segment: ['smb', 'mid_market', 'enterprise'][planOf(i) % 3] }),
      }),
    },
  },
  {
    name: 'users',
    comment: 'People who sign in. A user belongs to one account of one organization.',
    columns: [
      'id pk', 'account_id ref(accounts)!', 'organization_id ref(organizations)!', 'email string(255)! unique', 'email_verified bool! =false',
      'first_name string(100)', 'last_name string(100)', 'display_name string(200)', 'avatar_url string(500)', 'phone string(32)',
      'job_title string(100)', 'department string(100)', 'locale string(16)', 'timezone string(64)', 'status enum(user_status)! =active',
      'is_admin bool! =false', 'is_staff bool! =false', 'password_hash string(255)', 'mfa_enabled bool! =false', 'last_login_at datetime',
      'last_login_ip string(45)', 'login_count int! =0', 'manager_id ref(users)', 'preferences json', 'invited_by int', ...TIMESTAMPS,
      'deleted_at datetime',
    ],
    seed: {
      rows: 36,
      values: (i) => ({
        account_id: (i % ACCOUNTS) + 1,
        organization_id: (i % ACCOUNTS % 3) + 1,
        email: `${(FIRST[i % 12] ?? '').toLowerCase()}.${(LAST[(i * 5) % 12] ?? '').toLowerCase()}${i + 1}@example.com`,
        first_name: FIRST[i % 12],
        last_name: LAST[(i * 5) % 12],
        display_name: `${FIRST[i % 12]} ${LAST[(i * 5) % 12]}`,
        status: i % 11 === 10 ? 'deactivated' : i % 9 === 8 ? 'invited' : 'active',
        is_admin: i < ACCOUNTS,
        manager_id: i < ACCOUNTS ? null : (i % ACCOUNTS) + 1,
        password_hash: `$2b$12$${'x'.repeat(20)}${i}`,
        deleted_at: null,
      }),
    },
  },
  {
    name: 'user_profiles',
    comment: 'Optional public profile of a user.',
    columns: ['user_id ref(users)!', 'bio text', 'headline string(200)', 'linkedin_url string(500)', 'github_username string(100)', 'birthday date', 'pronouns string(32)', 'skills json', 'updated_at datetime'],
    primaryKey: ['user_id'],
  },
  {
    name: 'user_sessions',
    comment: 'Signed-in browser and app sessions.',
    columns: ['id uuidpk', 'user_id ref(users)!', 'ip_address string(45)', 'user_agent string(500)', 'device_type string(20)', 'country_code string(2)', 'started_at datetime!', 'last_active_at datetime', 'expires_at datetime', 'revoked_at datetime'],
    seed: { rows: 20 },
  },
  {
    name: 'roles',
    comment: 'Named sets of permissions; system roles have no organization.',
    columns: ['id pk', 'organization_id ref(organizations)', 'name string(64)!', 'description string(500)', 'is_system bool! =false', CREATED],
    unique: [['organization_id', 'name']],
    seed: { rows: 4, values: (i) => ({ organization_id: null, name: ['owner', 'admin', 'billing', 'member'][i], is_system: true }) },
  },
  {
    name: 'permissions',
    comment: 'Atomic permissions checked by the application.',
    columns: ['id pk', 'code string(100)! unique', 'description string(500)', 'category string(50)'],
    seed: { rows: 6, values: (i) => ({ code: ['billing.read', 'billing.write', 'users.read', 'users.write', 'api_keys.manage', 'settings.write'][i] }) },
  },
  {
    name: 'role_permissions',
    comment: 'Which permissions each role grants.',
    columns: ['role_id ref(roles)!', 'permission_id ref(permissions)!', 'granted_at datetime'],
    primaryKey: ['role_id', 'permission_id'],
    seed: { rows: 24, values: (i) => ({ role_id: Math.floor(i / 6) + 1, permission_id: (i % 6) + 1 }) },
  },
  {
    name: 'user_roles',
    comment: 'Roles granted to users.',
    columns: ['user_id ref(users)!', 'role_id ref(roles)!', 'granted_by ref(users)', 'granted_at datetime'],
    primaryKey: ['user_id', 'role_id'],
    seed: { rows: 36, values: (i) => ({ user_id: i + 1, role_id: i < ACCOUNTS ? (i % 3 === 0 ? 1 : 2) : i % 5 === 0 ? 3 : 4, granted_by: null }) },
  },
  {
    name: 'teams',
    comment: 'Groups of users inside an organization; teams nest.',
    columns: ['id pk', 'organization_id ref(organizations)!', 'name string(100)!', 'description string(500)', 'parent_team_id ref(teams)', CREATED],
  },
  {
    name: 'team_members',
    comment: 'Membership of users in teams.',
    columns: ['team_id ref(teams)!', 'user_id ref(users)!', 'role enum(team_role)! =member', 'joined_at datetime'],
    primaryKey: ['team_id', 'user_id'],
  },
  {
    name: 'invitations',
    comment: 'Pending invitations to join an organization.',
    columns: ['id uuidpk', 'organization_id ref(organizations)!', 'email string(255)!', 'role_id ref(roles)', 'invited_by ref(users)', 'token_hash string(128)', 'status enum(invitation_status)! =pending', 'expires_at datetime', 'accepted_at datetime', CREATED],
  },
  {
    name: 'api_keys',
    comment: 'API keys of an account. Only a hash of the secret is stored; the prefix identifies the key in logs.',
    columns: ['id uuidpk', 'account_id ref(accounts)!', 'user_id ref(users)', 'name string(100)!', 'prefix string(12)! unique # First characters of the key, shown in the dashboard', 'key_hash string(128)!', 'scopes json', 'last_used_at datetime', 'expires_at datetime', 'revoked_at datetime', CREATED],
    seed: { rows: 12, values: (i) => ({ prefix: `sk_${(i + 1).toString(36).padStart(4, '0')}`, key_hash: `sha256$${i}`, scopes: JSON.stringify(i % 2 ? ['read'] : ['read', 'write']), revoked_at: i === 3 ? at(500) : null, expires_at: null }) },
  },
  {
    name: 'oauth_applications',
    comment: 'Third-party applications registered for OAuth.',
    columns: ['id uuidpk', 'organization_id ref(organizations)!', 'name string(100)!', 'client_id string(64)! unique', 'client_secret_hash string(128)', 'redirect_uris json', 'scopes json', 'is_confidential bool! =true', CREATED],
  },
  {
    name: 'oauth_tokens',
    comment: 'Access tokens granted to OAuth applications.',
    columns: ['id pk', 'application_id ref(oauth_applications)!', 'user_id ref(users)!', 'access_token_hash string(128)!', 'refresh_token_hash string(128)', 'scopes json', 'expires_at datetime', 'revoked_at datetime', CREATED],
  },
  {
    name: 'login_attempts',
    comment: 'Every sign-in attempt, for rate limiting and security review.',
    columns: ['id pk', 'user_id ref(users)', 'email string(255)', 'ip_address string(45)', 'succeeded bool!', 'failure_reason string(64)', 'attempted_at datetime!'],
  },
  {
    name: 'password_resets',
    comment: 'Password reset requests.',
    columns: ['id pk', 'user_id ref(users)!', 'token_hash string(128)!', 'requested_ip string(45)', 'expires_at datetime!', 'used_at datetime', CREATED],
  },
  {
    name: 'mfa_devices',
    comment: 'Second factors enrolled by users.',
    columns: ['id pk', 'user_id ref(users)!', 'kind enum(mfa_kind)!', 'label string(100)', 'secret_encrypted string(255)', 'last_used_at datetime', CREATED],
  },
  {
    name: 'sso_connections',
    comment: 'SAML and OIDC identity providers of an organization.',
    columns: ['id pk', 'organization_id ref(organizations)!', 'provider string(32)!', 'entity_id string(255)', 'sso_url string(500)', 'certificate text', 'enabled bool! =false', CREATED],
  },
  {
    name: 'audit_log',
    comment: 'Security-relevant actions: who did what to which object, append-only.',
    columns: [
      'id pk', 'organization_id ref(organizations)', 'actor_user_id ref(users)', 'actor_type enum(actor_type)! =user', 'action string(100)! # Dotted verb, e.g. invoice.voided',
      'target_type string(50)', 'target_id string(64)', 'ip_address string(45)', 'user_agent string(500)', 'changes json # Before and after values of changed fields', 'metadata json', 'occurred_at datetime!',
    ],
    seed: {
      rows: 60,
      values: (i) => ({
        organization_id: (i % 3) + 1,
        actor_user_id: (i % 36) + 1,
        actor_type: i % 10 === 9 ? 'api_key' : 'user',
        action: ['user.signed_in', 'invoice.viewed', 'api_key.created', 'subscription.updated', 'user.invited', 'settings.changed'][i % 6],
        target_type: ['user', 'invoice', 'api_key', 'subscription', 'invitation', 'organization'][i % 6],
        target_id: String((i % 12) + 1),
        changes: JSON.stringify(i % 6 === 3 ? { quantity: [1, 2] } : {}),
        occurred_at: at(i * 29),
      }),
    },
  },

  // --- Catalog --------------------------------------------------------------
  {
    name: 'currencies',
    comment: 'Currencies the platform bills in.',
    columns: ['code string(3)! # ISO 4217', 'name string(64)!', 'symbol string(8)', 'decimals smallint! =2', 'active bool! =true'],
    primaryKey: ['code'],
    seed: { rows: 3, values: (i) => ({ code: ['EUR', 'GBP', 'USD'][i], name: ['Euro', 'Pound sterling', 'US dollar'][i], symbol: ['€', '£', '$'][i], decimals: 2, active: true }) },
  },
  {
    name: 'exchange_rates',
    comment: 'Daily exchange rates between currencies.',
    columns: ['base_currency ref(currencies.code)!', 'quote_currency ref(currencies.code)!', 'rate decimal(18,8)!', 'effective_date date!', 'source string(32)'],
    primaryKey: ['base_currency', 'quote_currency', 'effective_date'],
  },
  {
    name: 'product_categories',
    comment: 'Categories of the product catalog; categories nest.',
    columns: ['id pk', 'parent_id ref(product_categories)', 'name string(100)!', 'slug string(100)! unique', 'position int'],
    seed: { rows: 2, values: (i) => ({ name: ['Platform', 'Add-ons'][i], slug: ['platform', 'add-ons'][i], parent_id: null }) },
  },
  {
    name: 'products',
    comment: 'What is sold: the platform, add-ons and metered services.',
    columns: [
      'id pk', 'category_id ref(product_categories)', 'name string(200)!', 'slug string(100)! unique', 'description text', 'kind enum(product_kind)! =service',
      'active bool! =true', 'tax_code string(32)', 'unit_label string(32)', 'statement_descriptor string(22)', 'images json', 'metadata json', ...TIMESTAMPS,
    ],
    seed: {
      rows: 4,
      values: (i) => ({
        category_id: i === 0 ? 1 : 2,
        name: ['Core platform', 'Analytics add-on', 'Extra seats', 'API usage'][i],
        slug: ['core', 'analytics', 'seats', 'api-usage'][i],
        kind: ['service', 'add_on', 'add_on', 'usage'][i],
        active: true,
      }),
    },
  },
  {
    name: 'features',
    comment: 'Capabilities that plans and entitlements turn on or limit.',
    columns: ['id pk', 'feature_key string(100)! unique', 'name string(200)!', 'description text', 'value_type string(16)! =boolean', 'default_value string(100)', CREATED],
    seed: { rows: 6, values: (i) => ({ feature_key: ['sso', 'audit_log', 'api_access', 'seats', 'projects', 'storage_gb'][i], value_type: i < 3 ? 'boolean' : 'limit' }) },
  },
  {
    name: 'product_features',
    comment: 'Features a product provides.',
    columns: ['product_id ref(products)!', 'feature_id ref(features)!'],
    primaryKey: ['product_id', 'feature_id'],
  },
  {
    name: 'plans',
    comment: 'Subscription plans offered on the pricing page.',
    columns: ['id pk', 'product_id ref(products)!', 'code string(64)! unique', 'name string(200)!', 'description text', 'tier enum(plan_tier)!', 'is_public bool! =true', 'trial_days int', 'seats_included int', 'sort_order int', CREATED, 'archived_at datetime'],
    seed: { rows: 4, values: (i) => ({ product_id: 1, code: PLAN_CODES[i], name: `${(PLAN_CODES[i] ?? '').replace(/^./, (c) => c.toUpperCase())} plan`, tier: PLAN_CODES[i], trial_days: i === 0 ? 0 : 14, seats_included: [1, 5, 20, 100][i], sort_order: i, archived_at: null }) },
  },
  {
    name: 'plan_features',
    comment: 'Features included in each plan, with their limits.',
    columns: ['plan_id ref(plans)!', 'feature_id ref(features)!', 'value string(100)', 'limit_value bigint'],
    primaryKey: ['plan_id', 'feature_id'],
    seed: { rows: 24, values: (i) => ({ plan_id: Math.floor(i / 6) + 1, feature_id: (i % 6) + 1, limit_value: (i % 6) < 3 ? null : [1, 5, 20, 100][Math.floor(i / 6)] }) },
  },
  {
    name: 'prices',
    comment: 'How much a plan or product costs, per currency and billing interval.',
    columns: [
      'id pk', 'plan_id ref(plans)', 'product_id ref(products)!', 'currency string(3)!', 'unit_amount money # Price per unit, in the price currency',
      'billing_scheme enum(billing_scheme)! =per_unit', 'billing_interval enum(billing_interval)', 'interval_count int! =1', 'usage_type enum(usage_type)! =licensed',
      'lookup_key string(100) unique', 'active bool! =true', 'tax_behavior enum(tax_behavior)', CREATED,
    ],
    seed: {
      rows: 8,
      values: (i) => ({
        plan_id: (i % 4) + 1,
        product_id: 1,
        currency: 'USD',
        unit_amount: money((PLAN_CENTS[i % 4] ?? 0) * (i < 4 ? 1 : 10)),
        billing_interval: i < 4 ? 'month' : 'year',
        lookup_key: `${PLAN_CODES[i % 4]}_${i < 4 ? 'monthly' : 'yearly'}`,
        active: true,
      }),
    },
  },
  {
    name: 'price_tiers',
    comment: 'Tiers of tiered and volume prices.',
    columns: ['price_id ref(prices)!', 'tier_no smallint!', 'up_to bigint # Last unit of the tier; null for the last tier', 'unit_amount money', 'flat_amount money'],
    primaryKey: ['price_id', 'tier_no'],
  },
  {
    name: 'tax_jurisdictions',
    comment: 'Places that levy taxes.',
    columns: ['id pk', 'country_code string(2)!', 'region_code string(10)', 'name string(100)!', CREATED],
  },
  {
    name: 'tax_rates',
    comment: 'Tax rates applied to invoice lines.',
    columns: ['id pk', 'jurisdiction_id ref(tax_jurisdictions)!', 'display_name string(100)!', 'percentage decimal(6,4)!', 'inclusive bool! =false', 'tax_type string(32)', 'active bool! =true', CREATED],
  },
  {
    name: 'addons',
    comment: 'Optional extras that can be added to a subscription.',
    columns: ['id pk', 'product_id ref(products)!', 'code string(64)! unique', 'name string(200)!', 'description text', CREATED],
  },
  {
    name: 'addon_prices',
    comment: 'Prices of add-ons.',
    columns: ['id pk', 'addon_id ref(addons)!', 'currency string(3)!', 'unit_amount money', 'billing_interval enum(billing_interval)', 'active bool! =true'],
  },
  {
    name: 'usage_meters',
    comment: 'Metered events billed by usage.',
    columns: ['id pk', 'feature_id ref(features)!', 'event_name string(100)! unique', 'aggregation enum(meter_aggregation)! =sum', 'unit string(32)', CREATED],
    seed: { rows: 2, values: (i) => ({ feature_id: i === 0 ? 3 : 6, event_name: ['api_request', 'storage_gb_hour'][i], aggregation: ['sum', 'max'][i], unit: ['request', 'GB-hour'][i] }) },
  },
  {
    name: 'feature_flags',
    comment: 'Runtime switches for rolling out features.',
    columns: ['id pk', 'flag_key string(100)! unique', 'description string(500)', 'enabled bool! =false', 'rollout_percentage smallint', 'rules json', ...TIMESTAMPS],
  },
  {
    name: 'feature_flag_overrides',
    comment: 'Per-account exceptions to a feature flag.',
    columns: ['flag_id ref(feature_flags)!', 'account_id ref(accounts)!', 'enabled bool!', 'reason string(200)', CREATED],
    primaryKey: ['flag_id', 'account_id'],
  },
  {
    name: 'entitlements',
    comment: 'What an account may use right now, derived from plans, add-ons and overrides.',
    columns: ['id pk', 'account_id ref(accounts)!', 'feature_id ref(features)!', 'value string(100)', 'limit_value bigint', 'source string(20)', 'starts_at datetime', 'ends_at datetime'],
    unique: [['account_id', 'feature_id']],
  },

  // --- Customers and billing -------------------------------------------------
  {
    name: 'customers',
    comment: 'The billing identity of an account at the payment processor.',
    columns: [
      'id pk', 'account_id ref(accounts)! unique', 'external_id string(64) unique # Customer id at the processor', 'email string(255)', 'name string(200)', 'phone string(32)',
      'description string(500)', 'currency string(3)', 'balance money', 'delinquent bool! =false', 'invoice_prefix string(12)', 'next_invoice_sequence int! =1',
      'preferred_locales json', 'tax_exempt string(10) =none', 'billing_line1 string(200)', 'billing_line2 string(200)', 'billing_city string(100)', 'billing_state string(100)',
      'billing_postal_code string(20)', 'billing_country string(2)', 'shipping_name string(200)', 'shipping_line1 string(200)', 'shipping_city string(100)',
      'shipping_postal_code string(20)', 'shipping_country string(2)', 'default_payment_method_id string(36)', 'metadata json', ...TIMESTAMPS, 'deleted_at datetime',
    ],
    seed: {
      rows: ACCOUNTS,
      values: (i) => ({
        account_id: i + 1,
        external_id: `cus_${(i + 1).toString().padStart(6, '0')}`,
        email: `billing@${(COMPANY[i] ?? '').toLowerCase()}.example`,
        name: `${COMPANY[i]} ${['Analytics', 'Cloud', 'Labs'][i % 3]}`,
        currency: CURRENCY_OF_ACCOUNT[i % CURRENCY_OF_ACCOUNT.length],
        delinquent: i === PAST_DUE,
        billing_country: COUNTRIES[i % COUNTRIES.length],
        deleted_at: null,
      }),
    },
  },
  {
    name: 'customer_tax_ids',
    comment: 'Tax identifiers (VAT, GST, EIN) of customers.',
    columns: ['id pk', 'customer_id ref(customers)!', 'tax_id_type string(16)!', 'value string(64)!', 'country_code string(2)', 'verification_status string(20)', CREATED],
  },
  {
    name: 'payment_methods',
    comment: 'Cards and bank accounts saved for a customer; only non-sensitive details are kept.',
    columns: [
      'id uuidpk', 'customer_id ref(customers)!', 'method_type enum(payment_method_type)! =card', 'card_brand string(20)', 'card_last4 string(4)', 'card_exp_month smallint',
      'card_exp_year smallint', 'bank_name string(100)', 'bank_last4 string(4)', 'fingerprint string(64)', 'is_default bool! =false', 'billing_details json', CREATED, 'detached_at datetime',
    ],
    seed: { rows: ACCOUNTS, values: (i) => ({ customer_id: i + 1, method_type: i % 4 === 3 ? 'sepa_debit' : 'card', card_brand: i % 4 === 3 ? null : ['visa', 'mastercard', 'amex'][i % 3], card_last4: String(4242 + i * 111).slice(-4), card_exp_month: (i % 12) + 1, card_exp_year: 2027 + (i % 3), is_default: true, detached_at: null }) },
  },
  {
    name: 'coupons',
    comment: 'Discounts that can be applied to subscriptions and invoices.',
    columns: [
      'id pk', 'code string(64)! unique', 'name string(200)', 'percent_off decimal(5,2)', 'amount_off money', 'currency string(3)', 'duration enum(coupon_duration)! =once',
      'duration_in_months int', 'max_redemptions int', 'times_redeemed int! =0', 'redeem_by datetime', 'valid bool! =true', 'applies_to json', 'metadata json', CREATED,
    ],
    seed: { rows: 4, values: (i) => ({ code: ['WELCOME20', 'ANNUAL10', 'PARTNER50', 'BLACKFRIDAY'][i], percent_off: ['20.00', '10.00', '50.00', null][i], amount_off: i === 3 ? '100.00' : null, currency: i === 3 ? 'USD' : null, duration: ['once', 'forever', 'repeating', 'once'][i], duration_in_months: i === 2 ? 3 : null, times_redeemed: [3, 1, 1, 0][i], valid: i !== 3 }) },
  },
  {
    name: 'promotion_codes',
    comment: 'Customer-facing codes that apply a coupon.',
    columns: ['id pk', 'coupon_id ref(coupons)!', 'code string(64)! unique', 'active bool! =true', 'max_redemptions int', 'first_time_transaction bool! =false', 'minimum_amount money', 'expires_at datetime', CREATED],
  },
  {
    name: 'subscriptions',
    comment: 'An account subscribed to a plan; renews every billing period until canceled.',
    columns: [
      'id pk', 'account_id ref(accounts)!', 'customer_id ref(customers)!', 'plan_id ref(plans)!', 'price_id ref(prices)', 'status enum(subscription_status)! =incomplete',
      'quantity int! =1', 'collection_method enum(collection_method)! =charge_automatically', 'billing_cycle_anchor datetime', 'current_period_start datetime', 'current_period_end datetime',
      'trial_start datetime', 'trial_end datetime', 'cancel_at_period_end bool! =false', 'cancel_at datetime', 'canceled_at datetime', 'cancellation_reason enum(cancellation_reason)',
      'cancellation_feedback text', 'ended_at datetime', 'pause_collection json', 'days_until_due int', 'default_payment_method_id ref(payment_methods)', 'coupon_id ref(coupons)',
      'mrr money # Normalized monthly amount after discounts', 'currency string(3)!', 'metadata json', ...TIMESTAMPS,
    ],
    seed: {
      rows: ACCOUNTS,
      values: (i) => ({
        account_id: i + 1,
        customer_id: i + 1,
        plan_id: planOf(i) + 1,
        price_id: planOf(i) + 1,
        status: i === 5 ? 'canceled' : i === PAST_DUE ? 'past_due' : i === 10 ? 'trialing' : 'active',
        quantity: 1 + (i % 3),
        current_period_start: at(24 * 30 * (MONTHS - 1)),
        current_period_end: at(24 * 30 * MONTHS),
        canceled_at: i === 5 ? at(24 * 80) : null,
        cancellation_reason: i === 5 ? 'too_expensive' : null,
        ended_at: i === 5 ? at(24 * 90) : null,
        default_payment_method_id: uuid('payment_methods', i),
        coupon_id: i === 2 ? 1 : i === 8 ? 2 : null,
        mrr: money(PLAN_CENTS[planOf(i)] ?? 0),
        currency: CURRENCY_OF_ACCOUNT[i % CURRENCY_OF_ACCOUNT.length],
        trial_start: null,
        trial_end: i === 10 ? at(24 * 130) : null,
        cancel_at: null,
      }),
    },
  },
  {
    name: 'subscription_items',
    comment: 'Prices a subscription bills each period, with quantities.',
    columns: ['id pk', 'subscription_id ref(subscriptions)!', 'price_id ref(prices)!', 'quantity int! =1', 'tax_rate_id ref(tax_rates)', 'metadata json', CREATED],
    seed: { rows: ACCOUNTS, values: (i) => ({ subscription_id: i + 1, price_id: planOf(i) + 1, quantity: 1 + (i % 3), tax_rate_id: null }) },
  },
  {
    name: 'subscription_schedules',
    comment: 'Planned future changes of a subscription.',
    columns: ['id pk', 'subscription_id ref(subscriptions)!', 'status string(20)', 'end_behavior string(20)', CREATED, 'released_at datetime'],
  },
  {
    name: 'subscription_schedule_phases',
    comment: 'Phases of a subscription schedule, in order.',
    columns: ['schedule_id ref(subscription_schedules)!', 'phase_no smallint!', 'price_id ref(prices)!', 'quantity int', 'starts_at datetime!', 'ends_at datetime', 'trial bool! =false'],
    primaryKey: ['schedule_id', 'phase_no'],
  },
  {
    name: 'subscription_events',
    comment: 'History of subscription changes, for MRR movement reports.',
    columns: ['id pk', 'subscription_id ref(subscriptions)!', 'event_type enum(subscription_event_type)!', 'from_plan_id ref(plans)', 'to_plan_id ref(plans)', 'mrr_delta money', 'occurred_at datetime!'],
    seed: { rows: ACCOUNTS, values: (i) => ({ subscription_id: i + 1, event_type: 'created', from_plan_id: null, to_plan_id: planOf(i) + 1, mrr_delta: money(PLAN_CENTS[planOf(i)] ?? 0), occurred_at: at(i * 5) }) },
  },
  {
    name: 'discounts',
    comment: 'A coupon applied to a customer or a subscription.',
    columns: ['id pk', 'coupon_id ref(coupons)!', 'promotion_code_id ref(promotion_codes)', 'customer_id ref(customers)', 'subscription_id ref(subscriptions)', 'start_at datetime!', 'end_at datetime'],
  },
  {
    name: 'billing_cycles',
    comment: 'Each billing period of a subscription.',
    columns: ['id pk', 'subscription_id ref(subscriptions)!', 'cycle_no int!', 'period_start datetime!', 'period_end datetime!', 'invoiced bool! =false'],
    unique: [['subscription_id', 'cycle_no']],
  },
  {
    name: 'invoices',
    comment: 'Invoices issued to accounts. Amounts are in the invoice currency; total = subtotal - discounts + tax.',
    columns: [
      'id pk', 'account_id ref(accounts)!', 'customer_id ref(customers)!', 'subscription_id ref(subscriptions)', 'number string(32)! unique # Human-readable number, e.g. ACME-0001',
      'status enum(invoice_status)! =draft', 'billing_reason enum(billing_reason)', 'collection_method enum(collection_method)', 'currency string(3)!', 'subtotal money!',
      'subtotal_excluding_tax money', 'discount_total money', 'tax_total money', 'total money!', 'amount_due money!', 'amount_paid money! =0', 'amount_remaining money!',
      'amount_shipping money', 'starting_balance money', 'ending_balance money', 'attempt_count int! =0', 'attempted bool! =false', 'auto_advance bool! =true', 'paid bool! =false',
      'paid_out_of_band bool! =false', 'period_start datetime', 'period_end datetime', 'due_date date', 'issued_at datetime', 'finalized_at datetime', 'paid_at datetime',
      'voided_at datetime', 'marked_uncollectible_at datetime', 'next_payment_attempt_at datetime', 'webhooks_delivered_at datetime', 'hosted_invoice_url string(500)',
      'invoice_pdf_url string(500)', 'description text', 'footer text', 'memo text', 'customer_email string(255)', 'customer_name string(200)', 'customer_address json',
      'customer_tax_ids json', 'account_country string(2)', 'statement_descriptor string(22)', 'metadata json', ...TIMESTAMPS,
    ],
    seed: {
      rows: ACCOUNTS * MONTHS,
      values: (i) => {
        const invoice = invoiceOf(i);
        const issued = at(24 * 30 * invoice.month + invoice.account);
        return {
          account_id: invoice.account + 1,
          customer_id: invoice.account + 1,
          subscription_id: invoice.account + 1,
          number: `${(COMPANY[invoice.account] ?? '').toUpperCase()}-${(invoice.month + 1).toString().padStart(4, '0')}`,
          status: invoice.status,
          billing_reason: invoice.month === 0 ? 'subscription_create' : 'subscription_cycle',
          collection_method: 'charge_automatically',
          currency: CURRENCY_OF_ACCOUNT[invoice.account % CURRENCY_OF_ACCOUNT.length],
          subtotal: money(invoice.subtotal),
          subtotal_excluding_tax: money(invoice.subtotal),
          discount_total: '0.00',
          tax_total: money(invoice.tax),
          total: money(invoice.total),
          amount_due: money(invoice.total),
          amount_paid: money(invoice.paid ? invoice.total : 0),
          amount_remaining: money(invoice.paid ? 0 : invoice.total),
          attempt_count: invoice.paid ? 1 : invoice.status === 'uncollectible' ? 4 : 0,
          attempted: invoice.status !== 'open',
          paid: invoice.paid,
          period_start: at(24 * 30 * invoice.month),
          period_end: at(24 * 30 * (invoice.month + 1)),
          due_date: issued.toISOString().slice(0, 10),
          issued_at: issued,
          finalized_at: issued,
          paid_at: invoice.paid ? at(24 * 30 * invoice.month + invoice.account + 2) : null,
          voided_at: null,
          marked_uncollectible_at: invoice.status === 'uncollectible' ? at(24 * 30 * invoice.month + 24 * 20) : null,
          next_payment_attempt_at: null,
          customer_name: `${COMPANY[invoice.account]} ${['Analytics', 'Cloud', 'Labs'][invoice.account % 3]}`,
          account_country: COUNTRIES[invoice.account % COUNTRIES.length],
          metadata: JSON.stringify({}),
        };
      },
    },
  },
  {
    name: 'invoice_items',
    comment: 'Lines of an invoice: the plan fee and usage charges.',
    columns: [
      'id pk', 'invoice_id ref(invoices)!', 'subscription_item_id ref(subscription_items)', 'price_id ref(prices)', 'description string(500)', 'quantity int! =1',
      'unit_amount money', 'amount money!', 'currency string(3)!', 'discountable bool! =true', 'proration bool! =false', 'period_start datetime', 'period_end datetime',
      'tax_rate_id ref(tax_rates)', 'metadata json',
    ],
    seed: {
      rows: ACCOUNTS * MONTHS * 2,
      values: (i) => {
        const invoiceIndex = Math.floor(i / 2);
        const invoice = invoiceOf(invoiceIndex);
        const usage = i % 2 === 1;
        const cents = usage ? invoice.usage : invoice.base;
        return {
          invoice_id: invoiceIndex + 1,
          subscription_item_id: invoice.account + 1,
          price_id: usage ? null : planOf(invoice.account) + 1,
          description: usage ? 'API requests over the included volume' : `${PLAN_CODES[planOf(invoice.account)]} plan`,
          quantity: usage ? cents / 250 : 1,
          unit_amount: money(usage ? 250 : cents),
          amount: money(cents),
          currency: CURRENCY_OF_ACCOUNT[invoice.account % CURRENCY_OF_ACCOUNT.length],
          period_start: at(24 * 30 * invoice.month),
          period_end: at(24 * 30 * (invoice.month + 1)),
          tax_rate_id: null,
        };
      },
    },
  },
  {
    name: 'invoice_item_discounts',
    comment: 'Amounts of each discount on an invoice line.',
    columns: ['invoice_item_id ref(invoice_items)!', 'discount_id ref(discounts)!', 'amount money!'],
    primaryKey: ['invoice_item_id', 'discount_id'],
  },
  {
    name: 'invoice_tax_amounts',
    comment: 'Tax per rate on an invoice.',
    columns: ['invoice_id ref(invoices)!', 'tax_rate_id ref(tax_rates)!', 'amount money!', 'taxable_amount money', 'inclusive bool! =false'],
    primaryKey: ['invoice_id', 'tax_rate_id'],
  },
  {
    name: 'credit_notes',
    comment: 'Adjustments that reduce what an invoice asks for.',
    columns: ['id pk', 'invoice_id ref(invoices)!', 'number string(32)! unique', 'status string(20)', 'reason string(32)', 'amount money!', 'currency string(3)!', 'memo text', 'issued_at datetime', 'voided_at datetime', CREATED],
  },
  {
    name: 'credit_note_items',
    comment: 'Lines of a credit note.',
    columns: ['id pk', 'credit_note_id ref(credit_notes)!', 'invoice_item_id ref(invoice_items)', 'description string(500)', 'quantity int', 'amount money!'],
  },
  {
    name: 'payments',
    comment: 'Money received from customers, one row per charge at the processor.',
    columns: [
      'id pk', 'account_id ref(accounts)!', 'customer_id ref(customers)!', 'invoice_id ref(invoices)', 'payment_method_id ref(payment_methods)', 'amount money!',
      'amount_received money', 'currency string(3)!', 'status enum(payment_status)! =pending', 'failure_code string(64)', 'failure_message text', 'processor enum(processor)! =stripe',
      'processor_reference string(64) unique # Charge id at the processor', 'captured bool! =false', 'captured_at datetime', 'receipt_email string(255)', 'receipt_number string(32)',
      'statement_descriptor string(22)', 'risk_score smallint', 'metadata json', ...TIMESTAMPS,
    ],
    seed: {
      rows: PAID_INVOICES.length + 3,
      values: (i) => {
        // One succeeded payment per paid invoice, then failed attempts on the past-due account's open invoices.
        const invoiceIndex = PAID_INVOICES[i] ?? [ACCOUNTS + PAST_DUE, ACCOUNTS * 3 + PAST_DUE, ACCOUNTS * 3 + PAST_DUE][i - PAID_INVOICES.length] ?? 0;
        const invoice = invoiceOf(invoiceIndex);
        const succeeded = i < PAID_INVOICES.length;
        return {
          account_id: invoice.account + 1,
          customer_id: invoice.account + 1,
          invoice_id: invoiceIndex + 1,
          payment_method_id: uuid('payment_methods', invoice.account),
          amount: money(invoice.total),
          amount_received: money(succeeded ? invoice.total : 0),
          currency: CURRENCY_OF_ACCOUNT[invoice.account % CURRENCY_OF_ACCOUNT.length],
          status: succeeded ? 'succeeded' : 'failed',
          failure_code: succeeded ? null : 'card_declined',
          failure_message: succeeded ? null : 'Your card was declined.',
          processor: 'stripe',
          processor_reference: `ch_${(i + 1).toString().padStart(8, '0')}`,
          captured: succeeded,
          captured_at: succeeded ? at(24 * 30 * invoice.month + invoice.account + 2) : null,
          risk_score: (i * 7) % 60,
          created_at: at(24 * 30 * invoice.month + invoice.account + 2),
          updated_at: at(24 * 30 * invoice.month + invoice.account + 2),
        };
      },
    },
  },
  {
    name: 'invoice_payments',
    comment: 'How payments were applied to invoices.',
    columns: ['invoice_id ref(invoices)!', 'payment_id ref(payments)!', 'amount money!', 'applied_at datetime'],
    primaryKey: ['invoice_id', 'payment_id'],
  },
  {
    name: 'payment_attempts',
    comment: 'Each try of a payment, including retries by dunning.',
    columns: ['id pk', 'payment_id ref(payments)!', 'attempt_no smallint!', 'status enum(payment_status)!', 'error_code string(64)', 'error_message text', 'attempted_at datetime!'],
    unique: [['payment_id', 'attempt_no']],
  },
  {
    name: 'refunds',
    comment: 'Money returned to customers.',
    columns: ['id pk', 'payment_id ref(payments)!', 'amount money!', 'currency string(3)!', 'reason enum(refund_reason)', 'status enum(refund_status)! =pending', 'processor_reference string(64) unique', 'failure_reason string(200)', CREATED, 'processed_at datetime'],
    seed: {
      rows: 4,
      values: (i) => {
        const invoice = invoiceOf(PAID_INVOICES[i * 7] ?? 0);
        return { payment_id: i * 7 + 1, amount: money(Math.round(invoice.total / (i === 0 ? 1 : 2))), currency: CURRENCY_OF_ACCOUNT[invoice.account % CURRENCY_OF_ACCOUNT.length], reason: ['requested_by_customer', 'duplicate', 'requested_by_customer', 'fraudulent'][i], status: i === 2 ? 'pending' : 'succeeded', processor_reference: `re_${i + 1}`, processed_at: i === 2 ? null : at(24 * 40 + i * 24) };
      },
    },
  },
  {
    name: 'disputes',
    comment: 'Chargebacks opened by card holders.',
    columns: ['id pk', 'payment_id ref(payments)!', 'amount money!', 'currency string(3)!', 'reason string(50)', 'status enum(dispute_status)!', 'evidence json', 'evidence_due_by datetime', CREATED, 'closed_at datetime'],
  },
  {
    name: 'payouts',
    comment: 'Transfers from the processor balance to the bank account.',
    columns: ['id pk', 'currency string(3)!', 'amount money!', 'status string(20)!', 'arrival_date date', 'method string(20)', 'destination_last4 string(4)', CREATED],
  },
  {
    name: 'balance_transactions',
    comment: 'Movements of the processor balance: charges, refunds, fees, payouts.',
    columns: ['id pk', 'payout_id ref(payouts)', 'payment_id ref(payments)', 'refund_id ref(refunds)', 'transaction_type string(32)!', 'amount money!', 'fee money', 'net money', 'currency string(3)!', 'available_on date', CREATED],
  },
  {
    name: 'coupon_redemptions',
    comment: 'Each use of a coupon by an account.',
    columns: ['id pk', 'coupon_id ref(coupons)!', 'account_id ref(accounts)!', 'invoice_id ref(invoices)', 'amount money', 'redeemed_at datetime!'],
    seed: { rows: 5, values: (i) => ({ coupon_id: [1, 1, 1, 2, 3][i], account_id: [3, 4, 6, 9, 12][i], invoice_id: [3, 4, 6, 9, 12][i], amount: money([990, 3980, 990, 19980, 49950][i] ?? 0), redeemed_at: at(i * 13) }) },
  },
  {
    name: 'quotes',
    comment: 'Sales quotes sent before a subscription starts.',
    columns: ['id pk', 'account_id ref(accounts)!', 'customer_id ref(customers)!', 'number string(32)! unique', 'status enum(quote_status)! =draft', 'currency string(3)!', 'amount_total money', 'expires_at datetime', 'accepted_at datetime', 'created_by ref(users)', CREATED],
  },
  {
    name: 'quote_items',
    comment: 'Lines of a quote.',
    columns: ['quote_id ref(quotes)!', 'line_no smallint!', 'price_id ref(prices)!', 'quantity int! =1', 'amount money'],
    primaryKey: ['quote_id', 'line_no'],
  },
  {
    name: 'usage_records',
    comment: 'Metered usage reported for subscription items; partitioned by month range on PostgreSQL.',
    columns: ['id bigint!', 'subscription_item_id ref(subscription_items)!', 'meter_id ref(usage_meters)!', 'quantity bigint!', 'action string(10)! =increment', 'idempotency_key string(64)', 'recorded_at datetime! # When the usage happened, not when it was reported'],
    primaryKey: ['id', 'recorded_at'],
    partition: {
      column: 'recorded_at',
      ranges: [
        ['2025h2', '2025-07-01 00:00:00', '2026-01-01 00:00:00'],
        ['2026h1', '2026-01-01 00:00:00', '2026-07-01 00:00:00'],
        ['2026h2', '2026-07-01 00:00:00', '2027-01-01 00:00:00'],
      ],
    },
    seed: { rows: 90, values: (i) => ({ id: i + 1, subscription_item_id: (i % ACCOUNTS) + 1, meter_id: (i % 2) + 1, quantity: ((i * 37) % 100) * 10 + 1, action: 'increment', recorded_at: at(-24 * 20 + i * 60) }) },
  },
  {
    name: 'usage_summaries',
    comment: 'Usage totals per subscription item and billing period.',
    columns: ['subscription_item_id ref(subscription_items)!', 'period_start datetime!', 'period_end datetime!', 'total_usage bigint!', 'invoice_id ref(invoices)'],
    primaryKey: ['subscription_item_id', 'period_start'],
  },
  {
    name: 'dunning_campaigns',
    comment: 'Retry and reminder schedules for failed payments.',
    columns: ['id pk', 'name string(100)!', 'max_attempts smallint! =4', 'retry_schedule json # Days after the failure of each retry', 'active bool! =true', CREATED],
  },
  {
    name: 'dunning_attempts',
    comment: 'Reminders and retries sent by dunning campaigns.',
    columns: ['id pk', 'campaign_id ref(dunning_campaigns)!', 'invoice_id ref(invoices)!', 'attempt_no smallint!', 'channel enum(notification_channel)!', 'status enum(delivery_status)!', 'scheduled_at datetime', 'sent_at datetime'],
  },
  {
    name: 'checkout_sessions',
    comment: 'Hosted checkout pages started by prospects and customers.',
    columns: ['id uuidpk', 'account_id ref(accounts)', 'customer_id ref(customers)', 'mode string(20)!', 'status enum(checkout_status)! =open', 'currency string(3)', 'amount_total money', 'success_url string(500)', 'cancel_url string(500)', 'expires_at datetime', 'completed_at datetime', CREATED],
  },
  {
    name: 'checkout_session_items',
    comment: 'Prices in a checkout session.',
    columns: ['session_id ref(checkout_sessions)!', 'line_no smallint!', 'price_id ref(prices)!', 'quantity int! =1', 'amount money'],
    primaryKey: ['session_id', 'line_no'],
  },
  {
    name: 'ledger_accounts',
    comment: 'Chart of accounts of the general ledger.',
    columns: ['id pk', 'code string(20)! unique', 'name string(100)!', 'account_type enum(ledger_account_type)!', 'currency string(3)', 'parent_id ref(ledger_accounts)'],
  },
  {
    name: 'ledger_entries',
    comment: 'Double-entry journal lines; debits equal credits per journal.',
    columns: ['id pk', 'journal_id int!', 'ledger_account_id ref(ledger_accounts)!', 'invoice_id ref(invoices)', 'payment_id ref(payments)', 'debit money! =0', 'credit money! =0', 'currency string(3)!', 'posted_at datetime!', 'memo string(500)'],
  },
  {
    name: 'revenue_schedules',
    comment: 'How an invoice line is recognized as revenue over time.',
    columns: ['id pk', 'invoice_item_id ref(invoice_items)!', 'recognition_method string(20)!', 'total_amount money!', 'start_date date!', 'end_date date!', CREATED],
  },
  {
    name: 'revenue_recognitions',
    comment: 'Revenue recognized per schedule and month.',
    columns: ['schedule_id ref(revenue_schedules)!', 'period date!', 'amount money!', 'recognized_at datetime'],
    primaryKey: ['schedule_id', 'period'],
  },
  {
    name: 'billing_alerts',
    comment: 'Spending thresholds that notify an account.',
    columns: ['id pk', 'account_id ref(accounts)!', 'metric string(64)!', 'threshold money!', 'channel enum(notification_channel)! =email', 'triggered_at datetime', CREATED],
  },

  // --- Webhooks, integrations, jobs -------------------------------------------
  {
    name: 'webhooks',
    comment: 'Endpoints of an account that receive event notifications.',
    columns: ['id uuidpk', 'account_id ref(accounts)!', 'url string(500)!', 'description string(500)', 'secret_hash string(128)', 'enabled_events json', 'api_version string(16)', 'status enum(webhook_status)! =enabled', 'failure_count int! =0', 'disabled_at datetime', ...TIMESTAMPS],
    seed: { rows: 6, values: (i) => ({ account_id: i * 2 + 1, url: `https://hooks.${(COMPANY[i * 2] ?? '').toLowerCase()}.example/billing`, enabled_events: JSON.stringify(['invoice.paid', 'invoice.payment_failed']), status: i === 3 ? 'failing' : 'enabled', failure_count: i === 3 ? 9 : 0, disabled_at: null }) },
  },
  {
    name: 'webhook_events',
    comment: 'Events emitted to webhooks, with their payload.',
    columns: ['id uuidpk', 'account_id ref(accounts)', 'event_type string(100)! # e.g. invoice.paid', 'api_version string(16)', 'payload json!', 'pending_webhooks int! =0', 'request_id string(64)', CREATED],
    seed: { rows: 30, values: (i) => ({ account_id: ((i % 6) * 2) + 1, event_type: ['invoice.paid', 'invoice.payment_failed', 'customer.updated'][i % 3], payload: JSON.stringify({ object: 'event', seq: i + 1 }), created_at: at(i * 31) }) },
  },
  {
    name: 'webhook_deliveries',
    comment: 'Each attempt to deliver an event to a webhook endpoint.',
    columns: [
      'id uuidpk', 'webhook_id ref(webhooks)!', 'event_id ref(webhook_events)!', 'attempt smallint! =1', 'status enum(delivery_status)! =queued', 'response_status smallint # HTTP status returned by the endpoint',
      'response_body text', 'duration_ms int', 'error_message string(500)', 'next_retry_at datetime', 'delivered_at datetime', CREATED,
    ],
    seed: {
      rows: 45,
      values: (i) => {
        const event = i % 30;
        const failing = event % 6 === 3;
        return { webhook_id: uuid('webhooks', event % 6), event_id: uuid('webhook_events', event), attempt: i < 30 ? 1 : 2, status: failing ? 'failed' : 'succeeded', response_status: failing ? 500 : 200, duration_ms: 40 + ((i * 37) % 400), error_message: failing ? 'Endpoint returned HTTP 500' : null, delivered_at: failing ? null : at(event * 31 + 1), next_retry_at: null, created_at: at(event * 31 + (i < 30 ? 0 : 2)) };
      },
    },
  },
  {
    name: 'integrations',
    comment: 'Third-party services the product can connect to.',
    columns: ['id pk', 'integration_key string(64)! unique', 'name string(100)!', 'category string(32)', 'description text', 'auth_type string(20)', 'logo_url string(500)', CREATED],
  },
  {
    name: 'integration_connections',
    comment: 'An account connected to an integration.',
    columns: ['id uuidpk', 'account_id ref(accounts)!', 'integration_id ref(integrations)!', 'status string(20)!', 'config json', 'credentials_encrypted text', 'last_synced_at datetime', 'created_by ref(users)', CREATED],
  },
  {
    name: 'sync_jobs',
    comment: 'Scheduled synchronizations of an integration connection.',
    columns: ['id pk', 'connection_id ref(integration_connections)!', 'object_type string(50)!', 'direction string(10)!', 'schedule_cron string(64)', 'enabled bool! =true', CREATED],
  },
  {
    name: 'sync_job_runs',
    comment: 'Executions of sync jobs.',
    columns: ['id pk', 'job_id ref(sync_jobs)!', 'status enum(job_status)!', 'records_read int', 'records_written int', 'records_failed int', 'error_message text', 'started_at datetime', 'finished_at datetime'],
  },
  {
    name: 'external_ids',
    comment: 'Identifiers of our objects in connected systems.',
    columns: ['id pk', 'integration_id ref(integrations)!', 'object_type string(50)!', 'object_id string(64)!', 'external_id string(128)!', CREATED],
    unique: [['integration_id', 'object_type', 'external_id']],
  },
  {
    name: 'import_jobs',
    comment: 'CSV and API imports started by users.',
    columns: ['id pk', 'account_id ref(accounts)!', 'user_id ref(users)', 'source string(20)!', 'file_name string(255)', 'status enum(job_status)!', 'row_count int', 'error_count int', 'started_at datetime', 'finished_at datetime', CREATED],
  },
  {
    name: 'export_jobs',
    comment: 'Data exports requested by users.',
    columns: ['id pk', 'account_id ref(accounts)!', 'user_id ref(users)', 'format string(10)!', 'filters json', 'status enum(job_status)!', 'file_url string(500)', 'expires_at datetime', CREATED],
  },
  {
    name: 'job_runs',
    comment: 'Background jobs executed by the worker fleet.',
    columns: ['id pk', 'job_name string(100)!', 'queue string(50)! =default', 'status enum(job_status)!', 'attempts smallint! =0', 'payload json', 'result json', 'error text', 'enqueued_at datetime!', 'started_at datetime', 'finished_at datetime'],
  },

  // --- Logs -----------------------------------------------------------------
  {
    name: 'event_log',
    comment: 'Product analytics events (page views, clicks, feature use).',
    columns: ['id pk', 'account_id ref(accounts)', 'user_id ref(users)', 'session_id ref(user_sessions)', 'event_name string(100)!', 'properties json', 'context json', 'source string(20)', 'occurred_at datetime!', 'received_at datetime'],
    seed: { rows: 80, values: (i) => ({ account_id: (i % ACCOUNTS) + 1, user_id: (i % 36) + 1, session_id: i % 4 === 0 ? uuid('user_sessions', i % 20) : null, event_name: ['page_viewed', 'report_exported', 'invoice_downloaded', 'seat_added', 'api_key_created'][i % 5], properties: JSON.stringify({ path: `/app/${i % 7}` }), source: i % 3 === 0 ? 'mobile' : 'web', occurred_at: at(i * 17) }) },
  },
  {
    name: 'request_log',
    comment: 'API requests, sampled.',
    columns: ['id pk', 'api_key_id ref(api_keys)', 'method string(8)!', 'path string(500)!', 'status_code smallint!', 'duration_ms int', 'request_id string(64)', 'ip_address string(45)', 'user_agent string(500)', 'occurred_at datetime!'],
  },
  {
    name: 'error_log',
    comment: 'Application errors reported by services.',
    columns: ['id pk', 'service string(64)!', 'level enum(log_level)!', 'message text!', 'stack_trace text', 'context json', 'request_id string(64)', 'occurred_at datetime!'],
  },
  {
    name: 'email_templates',
    comment: 'Transactional email templates.',
    columns: ['id pk', 'template_key string(100)! unique', 'name string(200)!', 'subject string(200)!', 'body_html text', 'body_text text', 'locale string(16)! =en', ...TIMESTAMPS],
  },
  {
    name: 'email_log',
    comment: 'Emails sent to users and billing contacts.',
    columns: ['id pk', 'account_id ref(accounts)', 'user_id ref(users)', 'template_id ref(email_templates)', 'to_address string(255)!', 'subject string(200)', 'status enum(delivery_status)!', 'provider_message_id string(128)', 'opened_at datetime', 'clicked_at datetime', 'bounced_at datetime', 'sent_at datetime'],
  },
  {
    name: 'sms_log',
    comment: 'Text messages sent, e.g. one-time codes.',
    columns: ['id pk', 'user_id ref(users)', 'to_number string(32)!', 'body text', 'status enum(delivery_status)!', 'provider string(32)', 'segments smallint', 'cost decimal(8,4)', 'sent_at datetime'],
  },
  {
    name: 'notifications',
    comment: 'In-app notifications shown to users.',
    columns: ['id uuidpk', 'user_id ref(users)!', 'notification_type string(64)!', 'title string(200)', 'body text', 'data json', 'read_at datetime', CREATED],
  },
  {
    name: 'notification_deliveries',
    comment: 'Deliveries of a notification on each channel.',
    columns: ['id pk', 'notification_id ref(notifications)!', 'channel enum(notification_channel)!', 'status enum(delivery_status)!', 'error_message string(500)', 'delivered_at datetime'],
  },
  {
    name: 'notification_preferences',
    comment: 'Which notifications a user receives on which channel.',
    columns: ['user_id ref(users)!', 'channel enum(notification_channel)!', 'category string(50)!', 'enabled bool! =true'],
    primaryKey: ['user_id', 'channel', 'category'],
  },

  // --- Support and CRM --------------------------------------------------------
  {
    name: 'tags',
    comment: 'Labels for tickets and records.',
    columns: ['id pk', 'organization_id ref(organizations)!', 'name string(64)!', 'color string(7)', CREATED],
    unique: [['organization_id', 'name']],
  },
  {
    name: 'support_tickets',
    comment: 'Customer support requests.',
    columns: [
      'id pk', 'account_id ref(accounts)!', 'requester_id ref(users)!', 'assignee_id ref(users)', 'subject string(200)!', 'status enum(ticket_status)! =new', 'priority enum(priority)! =normal',
      'channel string(20)', 'category string(50)', 'satisfaction_rating smallint # 1-5, asked when the ticket is solved', 'first_response_at datetime', 'resolved_at datetime', 'closed_at datetime',
      'sla_breached bool! =false', ...TIMESTAMPS,
    ],
    seed: { rows: 20, values: (i) => ({ account_id: (i % ACCOUNTS) + 1, requester_id: (i % 36) + 1, assignee_id: i % 5 === 4 ? null : 1 + (i % 3), subject: ['Invoice shows wrong VAT', 'Cannot add seats', 'API returns 429', 'Card declined', 'Export is empty'][i % 5], status: ['open', 'pending', 'solved', 'closed', 'new'][i % 5], priority: ['normal', 'high', 'low', 'urgent'][i % 4], satisfaction_rating: i % 5 === 2 ? 3 + (i % 3) : null, sla_breached: i % 7 === 3, created_at: at(i * 41), resolved_at: i % 5 === 2 ? at(i * 41 + 30) : null, closed_at: null, first_response_at: null }) },
  },
  {
    name: 'ticket_messages',
    comment: 'Messages and internal notes on tickets.',
    columns: ['id pk', 'ticket_id ref(support_tickets)!', 'author_id ref(users)', 'body text!', 'is_internal bool! =false', 'attachments json', CREATED],
  },
  {
    name: 'ticket_tags',
    comment: 'Tags on tickets.',
    columns: ['ticket_id ref(support_tickets)!', 'tag_id ref(tags)!'],
    primaryKey: ['ticket_id', 'tag_id'],
  },
  {
    name: 'contacts',
    comment: 'People at customer accounts the sales team talks to.',
    columns: ['id pk', 'account_id ref(accounts)!', 'first_name string(100)', 'last_name string(100)', 'email string(255)', 'phone string(32)', 'title string(100)', 'is_primary bool! =false', 'linkedin_url string(500)', 'notes text', CREATED],
  },
  {
    name: 'leads',
    comment: 'Prospects not yet converted to accounts.',
    columns: ['id pk', 'organization_id ref(organizations)!', 'email string(255)!', 'company string(200)', 'first_name string(100)', 'last_name string(100)', 'source enum(acquisition_source)', 'status string(20)! =new', 'score smallint', 'owner_id ref(users)', 'converted_account_id ref(accounts)', 'utm json', CREATED],
  },
  {
    name: 'opportunities',
    comment: 'Deals in the sales pipeline.',
    columns: ['id pk', 'account_id ref(accounts)!', 'owner_id ref(users)', 'name string(200)!', 'stage enum(opportunity_stage)! =prospecting', 'amount money', 'currency string(3)', 'probability smallint', 'expected_close_date date', 'closed_at datetime', 'lost_reason string(200)', CREATED],
  },
  {
    name: 'opportunity_products',
    comment: 'Products quoted in an opportunity.',
    columns: ['opportunity_id ref(opportunities)!', 'product_id ref(products)!', 'quantity int! =1', 'unit_price money'],
    primaryKey: ['opportunity_id', 'product_id'],
  },
  {
    name: 'activities',
    comment: 'Calls, emails and meetings logged against accounts, contacts and deals.',
    columns: ['id pk', 'account_id ref(accounts)', 'contact_id ref(contacts)', 'opportunity_id ref(opportunities)', 'user_id ref(users)', 'activity_type string(20)!', 'subject string(200)', 'notes text', 'due_at datetime', 'completed_at datetime', CREATED],
  },
  {
    name: 'tasks',
    comment: 'To-dos assigned to users.',
    columns: ['id pk', 'assignee_id ref(users)', 'account_id ref(accounts)', 'title string(200)!', 'description text', 'status string(20)! =open', 'priority enum(priority)! =normal', 'due_date date', 'completed_at datetime', CREATED],
  },
  {
    name: 'meetings',
    comment: 'Scheduled meetings with customers.',
    columns: ['id pk', 'organizer_id ref(users)!', 'account_id ref(accounts)', 'title string(200)!', 'starts_at datetime!', 'ends_at datetime', 'location string(200)', 'video_url string(500)', 'notes text', CREATED],
  },
  {
    name: 'meeting_attendees',
    comment: 'Who attends a meeting and their answer.',
    columns: ['meeting_id ref(meetings)!', 'user_id ref(users)!', 'response string(10)'],
    primaryKey: ['meeting_id', 'user_id'],
  },
  {
    name: 'surveys',
    comment: 'In-product surveys.',
    columns: ['id pk', 'organization_id ref(organizations)!', 'title string(200)!', 'kind string(20)', 'active bool! =true', CREATED],
  },
  {
    name: 'survey_questions',
    comment: 'Questions of a survey, in order.',
    columns: ['id pk', 'survey_id ref(surveys)!', 'position smallint!', 'prompt text!', 'answer_type string(20)!', 'options json'],
  },
  {
    name: 'survey_responses',
    comment: 'A user submitting a survey.',
    columns: ['id pk', 'survey_id ref(surveys)!', 'user_id ref(users)', 'account_id ref(accounts)', 'submitted_at datetime!'],
  },
  {
    name: 'survey_answers',
    comment: 'Answers of a survey response.',
    columns: ['response_id ref(survey_responses)!', 'question_id ref(survey_questions)!', 'value_text text', 'value_number decimal(10,2)'],
    primaryKey: ['response_id', 'question_id'],
  },
  {
    name: 'nps_responses',
    comment: 'Net promoter score answers.',
    columns: ['id pk', 'account_id ref(accounts)!', 'user_id ref(users)', 'score smallint! # 0-10', 'comment text', 'submitted_at datetime!'],
  },

  // --- Workspaces and content -------------------------------------------------
  {
    name: 'regions',
    comment: 'Data regions where workspaces can be hosted.',
    columns: ['code string(16)!', 'name string(100)!', 'provider string(20)!', 'country_code string(2)', 'active bool! =true'],
    primaryKey: ['code'],
  },
  {
    name: 'workspaces',
    comment: 'Workspaces of an account, each with its projects and documents.',
    columns: ['id pk', 'account_id ref(accounts)!', 'region_code ref(regions.code)', 'name string(100)!', 'slug string(100)!', 'visibility enum(visibility)! =private', 'created_by ref(users)', CREATED, 'archived_at datetime'],
    unique: [['account_id', 'slug']],
  },
  {
    name: 'projects',
    comment: 'Projects inside a workspace.',
    columns: ['id pk', 'workspace_id ref(workspaces)!', 'name string(200)!', 'project_key string(10)', 'description text', 'status string(20)! =active', 'owner_id ref(users)', 'starts_on date', 'due_on date', 'budget money', ...TIMESTAMPS],
  },
  {
    name: 'project_members',
    comment: 'Users working on a project.',
    columns: ['project_id ref(projects)!', 'user_id ref(users)!', 'role enum(team_role)! =member', 'added_at datetime'],
    primaryKey: ['project_id', 'user_id'],
  },
  {
    name: 'environments',
    comment: 'Deployment environments of a project.',
    columns: ['id pk', 'project_id ref(projects)!', 'name string(50)!', 'kind string(20)!', 'region_code ref(regions.code)', 'url string(500)', CREATED],
  },
  {
    name: 'deployments',
    comment: 'Deployments to an environment.',
    columns: ['id uuidpk', 'environment_id ref(environments)!', 'commit_sha string(40)', 'branch string(200)', 'status enum(deployment_status)! =pending', 'triggered_by ref(users)', 'started_at datetime', 'finished_at datetime', 'duration_ms int', 'log_url string(500)'],
  },
  {
    name: 'folders',
    comment: 'Folders of documents; folders nest.',
    columns: ['id pk', 'workspace_id ref(workspaces)!', 'parent_id ref(folders)', 'name string(200)!', CREATED],
  },
  {
    name: 'documents',
    comment: 'Documents written in a workspace.',
    columns: ['id uuidpk', 'folder_id ref(folders)', 'workspace_id ref(workspaces)!', 'title string(300)!', 'status string(20)! =draft', 'current_version int! =1', 'word_count int', 'created_by ref(users)', ...TIMESTAMPS, 'deleted_at datetime'],
  },
  {
    name: 'document_versions',
    comment: 'Saved versions of a document.',
    columns: ['document_id ref(documents)!', 'version int!', 'body text', 'author_id ref(users)', 'change_summary string(500)', CREATED],
    primaryKey: ['document_id', 'version'],
  },
  {
    name: 'comments',
    comment: 'Comments on documents; replies point to their parent.',
    columns: ['id pk', 'document_id ref(documents)!', 'parent_id ref(comments)', 'author_id ref(users)!', 'body text!', 'resolved bool! =false', CREATED, 'edited_at datetime'],
  },
  {
    name: 'files',
    comment: 'Uploaded files; the bytes live in object storage.',
    columns: ['id uuidpk', 'workspace_id ref(workspaces)!', 'uploaded_by ref(users)', 'name string(255)!', 'mime_type string(100)', 'size_bytes bigint', 'storage_key string(500)', 'checksum string(64)', CREATED, 'deleted_at datetime'],
  },
  {
    name: 'attachments',
    comment: 'Files attached to other objects (polymorphic).',
    columns: ['id pk', 'file_id ref(files)!', 'attachable_type string(50)!', 'attachable_id string(64)!', CREATED],
  },
  {
    name: 'dashboards',
    comment: 'Dashboards of charts in a workspace.',
    columns: ['id pk', 'workspace_id ref(workspaces)!', 'name string(200)!', 'description string(500)', 'layout json', 'is_default bool! =false', 'created_by ref(users)', CREATED],
  },
  {
    name: 'dashboard_widgets',
    comment: 'Charts and tables placed on a dashboard.',
    columns: ['id pk', 'dashboard_id ref(dashboards)!', 'kind string(20)!', 'title string(200)', 'query json', 'position json', 'refresh_seconds int'],
  },
  {
    name: 'reports',
    comment: 'Saved report definitions, optionally scheduled.',
    columns: ['id pk', 'account_id ref(accounts)!', 'name string(200)!', 'definition json!', 'schedule_cron string(64)', 'recipients json', 'created_by ref(users)', CREATED],
  },
  {
    name: 'report_runs',
    comment: 'Executions of reports.',
    columns: ['id pk', 'report_id ref(reports)!', 'status enum(job_status)!', 'row_count int', 'file_url string(500)', 'started_at datetime', 'finished_at datetime'],
  },
  {
    name: 'saved_queries',
    comment: 'Queries saved by users in the query editor.',
    columns: ['id pk', 'user_id ref(users)!', 'name string(200)!', 'query_text text!', 'is_shared bool! =false', CREATED],
  },
  {
    name: 'onboarding_steps',
    comment: 'Steps of the onboarding checklist.',
    columns: ['id pk', 'step_key string(64)! unique', 'title string(200)!', 'position smallint!', 'required bool! =false'],
  },
  {
    name: 'onboarding_progress',
    comment: 'Onboarding steps each user completed or skipped.',
    columns: ['user_id ref(users)!', 'step_id ref(onboarding_steps)!', 'completed_at datetime', 'skipped bool! =false'],
    primaryKey: ['user_id', 'step_id'],
  },
  {
    name: 'feature_requests',
    comment: 'Ideas submitted by customers.',
    columns: ['id pk', 'account_id ref(accounts)', 'author_id ref(users)', 'title string(200)!', 'description text', 'status string(20)! =open', 'votes_count int! =0', CREATED],
  },
  {
    name: 'feature_votes',
    comment: 'Votes on feature requests.',
    columns: ['request_id ref(feature_requests)!', 'user_id ref(users)!', 'weight smallint! =1', 'voted_at datetime'],
    primaryKey: ['request_id', 'user_id'],
  },

  // --- Operations -------------------------------------------------------------
  {
    name: 'service_incidents',
    comment: 'Incidents shown on the status page.',
    columns: ['id pk', 'title string(200)!', 'status enum(incident_status)!', 'severity enum(severity)!', 'started_at datetime!', 'resolved_at datetime', 'postmortem_url string(500)'],
  },
  {
    name: 'incident_updates',
    comment: 'Updates posted during an incident.',
    columns: ['id pk', 'incident_id ref(service_incidents)!', 'status enum(incident_status)!', 'message text!', 'posted_at datetime!'],
  },
  {
    name: 'status_components',
    comment: 'Components listed on the status page.',
    columns: ['id pk', 'name string(100)!', 'description string(500)', 'region_code ref(regions.code)', 'status string(20)! =operational'],
  },
  {
    name: 'incident_components',
    comment: 'Components affected by an incident.',
    columns: ['incident_id ref(service_incidents)!', 'component_id ref(status_components)!'],
    primaryKey: ['incident_id', 'component_id'],
  },
  {
    name: 'sla_policies',
    comment: 'Service level commitments per plan.',
    columns: ['id pk', 'plan_id ref(plans)', 'name string(100)!', 'uptime_target decimal(5,3)! # Percent, e.g. 99.950', 'response_minutes int', 'credit_percentage decimal(5,2)'],
  },
  {
    name: 'sla_credits',
    comment: 'Credits granted to accounts for missed service levels.',
    columns: ['id pk', 'account_id ref(accounts)!', 'policy_id ref(sla_policies)!', 'incident_id ref(service_incidents)', 'amount money!', 'issued_at datetime!'],
  },

  // --- Growth -----------------------------------------------------------------
  {
    name: 'campaigns',
    comment: 'Marketing campaigns.',
    columns: ['id pk', 'organization_id ref(organizations)!', 'name string(200)!', 'channel string(20)!', 'status string(20)! =draft', 'budget money', 'starts_at datetime', 'ends_at datetime', CREATED],
  },
  {
    name: 'campaign_members',
    comment: 'Leads targeted by a campaign.',
    columns: ['campaign_id ref(campaigns)!', 'lead_id ref(leads)!', 'status string(20)! =sent', 'responded_at datetime'],
    primaryKey: ['campaign_id', 'lead_id'],
  },
  {
    name: 'referral_programs',
    comment: 'Referral programs and their rewards.',
    columns: ['id pk', 'name string(100)!', 'reward_type string(20)!', 'reward_amount money', 'active bool! =true'],
  },
  {
    name: 'referrals',
    comment: 'Accounts referred by other accounts.',
    columns: ['id pk', 'program_id ref(referral_programs)!', 'referrer_account_id ref(accounts)!', 'referred_account_id ref(accounts)', 'code string(32)! unique', 'status string(20)! =pending', 'rewarded_at datetime', CREATED],
  },
  {
    name: 'ab_tests',
    comment: 'Product experiments.',
    columns: ['id pk', 'test_key string(64)! unique', 'name string(200)!', 'hypothesis text', 'status enum(experiment_status)! =draft', 'started_at datetime', 'ended_at datetime'],
  },
  {
    name: 'ab_test_variants',
    comment: 'Variants of an experiment and their traffic weights.',
    columns: ['id pk', 'test_id ref(ab_tests)!', 'variant_key string(64)!', 'weight smallint! =50', 'config json'],
    unique: [['test_id', 'variant_key'], ['id', 'test_id']],
  },
  {
    name: 'ab_test_assignments',
    comment: 'Which variant each user sees; the variant must belong to the test.',
    columns: ['test_id ref(ab_tests)!', 'user_id ref(users)!', 'variant_id int!', 'assigned_at datetime!'],
    primaryKey: ['test_id', 'user_id'],
    foreignKeys: [{ columns: ['variant_id', 'test_id'], table: 'ab_test_variants', references: ['id', 'test_id'] }],
  },
];

const VIEWS: readonly ViewSpec[] = [
  {
    name: 'active_subscriptions',
    comment: 'Subscriptions currently active, with their account and plan.',
    sql: `SELECT s.id, s.account_id, a.name AS account_name, p.code AS plan_code, s.quantity, s.mrr, s.currency, s.current_period_end
      FROM subscriptions s JOIN accounts a ON a.id = s.account_id JOIN plans p ON p.id = s.plan_id WHERE s.status = 'active'`,
  },
  {
    name: 'account_balances',
    comment: 'What each account still owes on open invoices.',
    sql: `SELECT a.id AS account_id, a.name, a.currency, COALESCE(SUM(i.amount_remaining), 0) AS open_amount, COUNT(i.id) AS open_invoices
      FROM accounts a LEFT JOIN invoices i ON i.account_id = a.id AND i.status = 'open' GROUP BY a.id, a.name, a.currency`,
  },
  {
    name: 'open_invoices',
    comment: 'Invoices waiting for payment.',
    sql: `SELECT i.id, i.number, i.account_id, i.currency, i.amount_due, i.amount_remaining, i.due_date FROM invoices i WHERE i.status = 'open'`,
  },
  {
    name: 'mrr_by_plan',
    comment: 'Active subscriptions and monthly recurring revenue per plan.',
    sql: `SELECT p.id AS plan_id, p.code, COUNT(s.id) AS subscriptions, COALESCE(SUM(s.mrr), 0) AS mrr
      FROM plans p LEFT JOIN subscriptions s ON s.plan_id = p.id AND s.status = 'active' GROUP BY p.id, p.code`,
  },
  {
    name: 'user_directory',
    comment: 'Users with their organization and account, without deleted users.',
    sql: `SELECT u.id, u.email, u.display_name, u.job_title, u.status, o.name AS organization_name, a.name AS account_name
      FROM users u JOIN organizations o ON o.id = u.organization_id JOIN accounts a ON a.id = u.account_id WHERE u.deleted_at IS NULL`,
  },
  {
    name: 'failed_webhook_deliveries',
    comment: 'Webhook deliveries that failed, with the endpoint URL.',
    sql: `SELECT d.id, d.webhook_id, w.url, d.event_id, d.attempt, d.response_status, d.error_message, d.created_at
      FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'failed'`,
  },
  {
    name: 'product_price_list',
    comment: 'Active prices with their product and plan.',
    sql: `SELECT pr.id AS price_id, p.name AS product_name, pl.code AS plan_code, pr.currency, pr.unit_amount, pr.billing_interval
      FROM prices pr JOIN products p ON p.id = pr.product_id LEFT JOIN plans pl ON pl.id = pr.plan_id WHERE pr.active = TRUE`,
  },
  {
    name: 'coupon_performance',
    comment: 'Redemptions and discounted amount per coupon.',
    sql: `SELECT c.id AS coupon_id, c.code, c.times_redeemed, COUNT(r.id) AS redemptions, COALESCE(SUM(r.amount), 0) AS discounted_amount
      FROM coupons c LEFT JOIN coupon_redemptions r ON r.coupon_id = c.id GROUP BY c.id, c.code, c.times_redeemed`,
  },
  {
    name: 'ticket_backlog',
    comment: 'Tickets still waiting for the support team.',
    sql: `SELECT t.id, t.account_id, t.subject, t.status, t.priority, u.email AS assignee_email, t.created_at
      FROM support_tickets t LEFT JOIN users u ON u.id = t.assignee_id WHERE t.status IN ('new', 'open', 'pending')`,
  },
  {
    name: 'payment_summary',
    comment: 'Number and amount of payments per account, currency and status.',
    sql: `SELECT p.account_id, p.currency, p.status, COUNT(*) AS payments, SUM(p.amount) AS amount FROM payments p GROUP BY p.account_id, p.currency, p.status`,
  },
];

/** Names of the tables, in creation order. */
export const SAAS_TABLES: readonly string[] = TABLES.map((table) => table.name);
/** Names of the views. */
export const SAAS_VIEWS: readonly string[] = VIEWS.map((view) => view.name);
/** The table that is partitioned on PostgreSQL, and its partitions (which introspection must leave out). */
export const SAAS_PARTITIONED = {
  table: 'usage_records',
  partitions: (TABLES.find((table) => table.partition)?.partition?.ranges ?? []).map(([suffix]) => `usage_records_${suffix}`),
} as const;
/** Rows inserted per seeded table. */
export const SAAS_ROWS: Readonly<Record<string, number>> = Object.fromEntries(TABLES.flatMap((table) => (table.seed ? [[table.name, table.seed.rows]] : [])));

// ---------------------------------------------------------------------------
// Parsing the column syntax
// ---------------------------------------------------------------------------

type Kind = 'pk' | 'uuidpk' | 'int' | 'bigint' | 'smallint' | 'string' | 'text' | 'bool' | 'decimal' | 'float' | 'datetime' | 'date' | 'json' | 'uuid' | 'enum';

interface Column {
  readonly name: string;
  readonly kind: Kind;
  readonly length: number;
  readonly precision: number;
  readonly scale: number;
  readonly enumName: string | null;
  readonly ref: { readonly table: string; readonly column: string } | null;
  readonly notNull: boolean;
  readonly unique: boolean;
  readonly default: string | null;
  readonly comment: string | null;
}

interface Table extends Omit<TableSpec, 'columns'> {
  readonly columns: readonly Column[];
  readonly primary: readonly string[];
}

const COLUMN = /^(\w+) (\w+)(?:\(([^)]*)\))?(!)?( unique)?(?: =(\S+))?(?: # (.+))?$/;

function parseTables(specs: readonly TableSpec[]): Table[] {
  const tables = new Map<string, Table>();
  for (const spec of specs) {
    const columns: Column[] = [];
    for (const text of spec.columns) {
      const match = COLUMN.exec(text);
      if (!match) throw new Error(`${spec.name}: bad column "${text}"`);
      const [, name = '', type = '', args, bang, unique, fallback, comment] = match;
      const base = { name, length: 255, precision: 0, scale: 0, enumName: null, ref: null, notNull: Boolean(bang), unique: Boolean(unique), default: fallback ?? null, comment: comment ?? null };
      if (type === 'ref') {
        const [table = '', column = 'id'] = (args ?? '').split('.');
        const target = table === spec.name ? { name: spec.name, columns } : tables.get(table);
        const referenced = target?.columns.find((candidate) => candidate.name === column);
        if (!referenced) throw new Error(`${spec.name}.${name}: no ${table}.${column} before it`);
        const kind: Kind = referenced.kind === 'pk' ? 'int' : referenced.kind === 'uuidpk' ? 'uuid' : referenced.kind;
        const { length, precision, scale, enumName } = referenced;
        columns.push({ ...base, kind, length, precision, scale, enumName, ref: { table, column } });
      } else if (type === 'money') {
        columns.push({ ...base, kind: 'decimal', precision: 12, scale: 2 });
      } else if (type === 'decimal') {
        const [precision = 12, scale = 2] = (args ?? '').split(',').map(Number);
        columns.push({ ...base, kind: 'decimal', precision, scale });
      } else if (type === 'string') {
        columns.push({ ...base, kind: 'string', length: args ? Number(args) : 255 });
      } else if (type === 'enum') {
        if (!args || !ENUMS[args]) throw new Error(`${spec.name}.${name}: no enum ${args}`);
        columns.push({ ...base, kind: 'enum', enumName: args });
      } else if (['pk', 'uuidpk', 'int', 'bigint', 'smallint', 'text', 'bool', 'float', 'datetime', 'date', 'json', 'uuid'].includes(type)) {
        columns.push({ ...base, kind: type as Kind, notNull: base.notNull || type === 'pk' || type === 'uuidpk' });
      } else {
        throw new Error(`${spec.name}.${name}: unknown type ${type}`);
      }
    }
    const keyColumn = columns.find((column) => column.kind === 'pk' || column.kind === 'uuidpk');
    const primary = spec.primaryKey ?? (keyColumn ? [keyColumn.name] : []);
    if (primary.length === 0) throw new Error(`${spec.name}: no primary key`);
    tables.set(spec.name, { ...spec, columns, primary });
  }
  return [...tables.values()];
}

// ---------------------------------------------------------------------------
// DDL
// ---------------------------------------------------------------------------

function columnType(dialect: Dialect, column: Column): string {
  const q = (name: string) => quote(dialect, name);
  switch (column.kind) {
    case 'pk':
      return dialect === 'postgresql' ? 'integer GENERATED BY DEFAULT AS IDENTITY' : dialect === 'mysql' ? 'INT AUTO_INCREMENT' : 'INTEGER';
    case 'uuidpk':
    case 'uuid':
      return dialect === 'postgresql' ? 'uuid' : dialect === 'mysql' ? 'CHAR(36)' : 'TEXT';
    case 'int':
      return dialect === 'postgresql' ? 'integer' : dialect === 'mysql' ? 'INT' : 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'smallint':
      return 'SMALLINT';
    case 'string':
      return `VARCHAR(${column.length})`;
    case 'text':
      return 'TEXT';
    case 'bool':
      return 'BOOLEAN';
    case 'decimal':
      return `${dialect === 'postgresql' ? 'numeric' : 'DECIMAL'}(${column.precision},${column.scale})`;
    case 'float':
      return dialect === 'postgresql' ? 'double precision' : dialect === 'mysql' ? 'DOUBLE' : 'REAL';
    case 'datetime':
      return dialect === 'postgresql' ? 'timestamptz' : 'DATETIME';
    case 'date':
      return 'DATE';
    case 'json':
      return dialect === 'postgresql' ? 'jsonb' : dialect === 'mysql' ? 'JSON' : 'TEXT';
    case 'enum': {
      const values = ENUMS[column.enumName ?? ''] ?? [];
      if (dialect === 'postgresql') return q(column.enumName ?? '');
      if (dialect === 'mysql') return `ENUM(${values.map(literal).join(', ')})`;
      return `TEXT CHECK (${q(column.name)} IN (${values.map(literal).join(', ')}))`;
    }
  }
}

function defaultClause(dialect: Dialect, column: Column): string {
  const value = column.default;
  if (value === null) return '';
  if (value === 'now') return ' DEFAULT CURRENT_TIMESTAMP';
  if (column.kind === 'bool') return ` DEFAULT ${dialect === 'postgresql' ? value.toUpperCase() : value === 'true' ? '1' : '0'}`;
  if (/^-?\d+(\.\d+)?$/.test(value) && column.kind !== 'string' && column.kind !== 'enum') return ` DEFAULT ${value}`;
  return ` DEFAULT ${literal(value)}`;
}

function createTable(dialect: Dialect, table: Table): string[] {
  const q = (name: string) => quote(dialect, name);
  const list = (names: readonly string[]) => names.map(q).join(', ');
  const sqliteRowid = dialect === 'sqlite' && table.primary.length === 1 && table.columns.find((column) => column.name === table.primary[0])?.kind === 'pk';
  const lines = table.columns.map((column) => {
    if (sqliteRowid && column.kind === 'pk') return `${q(column.name)} INTEGER PRIMARY KEY AUTOINCREMENT`;
    const comment = dialect === 'mysql' && column.comment ? ` COMMENT ${literal(column.comment)}` : '';
    return `${q(column.name)} ${columnType(dialect, column)}${column.notNull ? ' NOT NULL' : ''}${defaultClause(dialect, column)}${comment}`;
  });
  if (!sqliteRowid) lines.push(`PRIMARY KEY (${list(table.primary)})`);
  for (const column of table.columns) if (column.unique) lines.push(`UNIQUE (${q(column.name)})`);
  for (const columns of table.unique ?? []) lines.push(`UNIQUE (${list(columns)})`);
  for (const column of table.columns) {
    if (column.ref) lines.push(`FOREIGN KEY (${q(column.name)}) REFERENCES ${q(column.ref.table)} (${q(column.ref.column)})`);
  }
  for (const key of table.foreignKeys ?? []) lines.push(`FOREIGN KEY (${list(key.columns)}) REFERENCES ${q(key.table)} (${list(key.references)})`);

  const partition = dialect === 'postgresql' && table.partition ? ` PARTITION BY RANGE (${q(table.partition.column)})` : '';
  const options = dialect === 'mysql' ? ` ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT=${literal(table.comment)}` : '';
  const statements = [`CREATE TABLE ${q(table.name)} (\n  ${lines.join(',\n  ')}\n)${partition}${options}`];
  if (dialect === 'postgresql') {
    for (const [suffix, from, to] of table.partition?.ranges ?? []) {
      statements.push(`CREATE TABLE ${q(`${table.name}_${suffix}`)} PARTITION OF ${q(table.name)} FOR VALUES FROM (${literal(`${from}+00`)}) TO (${literal(`${to}+00`)})`);
    }
    statements.push(`COMMENT ON TABLE ${q(table.name)} IS ${literal(table.comment)}`);
    for (const column of table.columns) {
      if (column.comment) statements.push(`COMMENT ON COLUMN ${q(table.name)}.${q(column.name)} IS ${literal(column.comment)}`);
    }
  }
  return statements;
}

/** The statements that create the schema on `dialect`: types, then tables (with comments), then views. */
export function saasSchemaStatements(dialect: Dialect): { readonly types: string[]; readonly tables: string[]; readonly views: string[] } {
  const tables = parseTables(TABLES);
  const types: string[] = [];
  if (dialect === 'postgresql') {
    const used = new Set(tables.flatMap((table) => table.columns.flatMap((column) => (column.kind === 'enum' && column.enumName ? [column.enumName] : []))));
    for (const name of used) types.push(`CREATE TYPE ${quote(dialect, name)} AS ENUM (${(ENUMS[name] ?? []).map(literal).join(', ')})`);
  }
  const views: string[] = [];
  for (const view of VIEWS) {
    views.push(`CREATE VIEW ${quote(dialect, view.name)} AS ${view.sql}`);
    if (dialect === 'postgresql') views.push(`COMMENT ON VIEW ${quote(dialect, view.name)} IS ${literal(view.comment)}`);
  }
  return { types, tables: tables.flatMap((table) => createTable(dialect, table)), views };
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

function generated(table: Table, column: Column, index: number, rows: ReadonlyMap<string, readonly Row[]>): unknown {
  const n = index + 1;
  if (column.ref) {
    const targets = column.ref.table === table.name ? [] : (rows.get(column.ref.table) ?? []);
    const target = targets[index % Math.max(1, targets.length)];
    if (target) return target[column.ref.column];
    if (column.notNull) throw new Error(`${table.name}.${column.name}: ${column.ref.table} has no rows`);
    return null;
  }
  if (!column.notNull && /^(deleted|revoked|voided|canceled|churned|ended|disabled|archived|detached|closed|used)_at$/.test(column.name)) return null;
  switch (column.kind) {
    case 'pk':
      return n;
    case 'uuidpk':
      return uuid(table.name, index);
    case 'uuid':
      return uuid(`${table.name}.${column.name}`, index);
    case 'int':
    case 'bigint':
    case 'smallint':
      return ((index * 17) % 97) + 1;
    case 'bool':
      return index % 3 !== 0;
    case 'decimal': {
      const whole = ((index * 37 + 11) % Math.min(10 ** (column.precision - column.scale), 1000)).toString();
      return column.scale > 0 ? `${whole}.${((index * 13) % 10 ** column.scale).toString().padStart(column.scale, '0')}` : whole;
    }
    case 'float':
      return index * 1.5;
    case 'datetime':
      return at(index * 11);
    case 'date':
      return at(index * 24).toISOString().slice(0, 10);
    case 'json':
      return JSON.stringify({ seq: n });
    case 'enum': {
      const values = ENUMS[column.enumName ?? ''] ?? [];
      return values[index % values.length];
    }
    case 'text':
      return `${column.name.replace(/_/g, ' ')} ${n}`;
    case 'string': {
      if (column.name === 'email' || column.name.endsWith('_email')) return `${table.name}${n}@example.com`;
      if (column.name === 'currency' || column.name.endsWith('_currency')) return 'USD';
      if (column.name.endsWith('country_code') || column.name.endsWith('_country')) return COUNTRIES[index % COUNTRIES.length];
      const text = `${column.name}_${n}`;
      return text.length <= column.length ? text : String(n).padStart(column.length, '0').slice(-column.length);
    }
  }
}

/** A value as the driver of `dialect` takes it. */
function toDriver(dialect: Dialect, value: unknown): unknown {
  if (!(value instanceof Date)) return value;
  const text = value.toISOString().slice(0, 19).replace('T', ' ');
  return dialect === 'postgresql' ? `${text}+00` : text;
}

function seedRows(tables: readonly Table[]): Map<string, Row[]> {
  const rows = new Map<string, Row[]>();
  for (const table of tables) {
    if (!table.seed) continue;
    const list: Row[] = [];
    for (let index = 0; index < table.seed.rows; index += 1) {
      const overrides = table.seed.values?.(index) ?? {};
      const unknown = Object.keys(overrides).filter((name) => !table.columns.some((column) => column.name === name));
      if (unknown.length > 0) throw new Error(`${table.name}: no column ${unknown.join(', ')}`);
      const row: Row = {};
      for (const column of table.columns) row[column.name] = column.name in overrides ? overrides[column.name] : generated(table, column, index, rows);
      list.push(row);
    }
    rows.set(table.name, list);
  }
  return rows;
}

/** What {@link createSaasSchema} created. */
export interface SaasSchema {
  readonly tables: readonly string[];
  readonly views: readonly string[];
  readonly rows: Readonly<Record<string, number>>;
  /** Milliseconds spent on DDL and on inserting rows. */
  readonly timings: { readonly ddlMs: number; readonly rowsMs: number };
}

/** Creates the SaaS schema and its rows in the (empty) database behind `knex`. */
export async function createSaasSchema(knex: Knex, dialect: Dialect): Promise<SaasSchema> {
  let started = performance.now();
  const { types, tables: creates, views } = saasSchemaStatements(dialect);
  if (dialect === 'mysql') {
    // Tables on several connections at once (see ddl.ts), then the views that read them.
    await runStatements(knex, dialect, creates, { independent: true });
    await runStatements(knex, dialect, views);
  } else {
    await runStatements(knex, dialect, [...types, ...creates, ...views]);
  }
  const ddlMs = performance.now() - started;
  started = performance.now();
  const tables = parseTables(TABLES);
  const rows = seedRows(tables);
  await knex.transaction(async (trx) => {
    for (const table of tables) {
      const list = rows.get(table.name);
      if (!list) continue;
      await trx(table.name).insert(list.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, toDriver(dialect, value)]))));
    }
  });
  return { tables: SAAS_TABLES, views: SAAS_VIEWS, rows: SAAS_ROWS, timings: { ddlMs, rowsMs: performance.now() - started } };
}
