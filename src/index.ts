/**
 * conexor: an embeddable MCP server that gives AI models safe, typed, read-only access to a database through
 * tools generated from its schema.
 * @packageDocumentation
 */
export { createConexor, createConexorServer, type CallContext, type Conexor } from './conexor.js';
export type { ArgumentLimits, CatalogOptions, ConexorOptions } from './policy/options.js';
export type { CallerIdentity, CallerPolicy, RequestContext, ScopeValue } from './policy/caller.js';
export type { ExposedForeignKey, ExposedSchema, ExposedTable } from './policy/policy.js';
export type {
  ColumnModel,
  DatabaseModel,
  DateStorage,
  Dialect,
  ForeignKeyModel,
  IntrospectOptions,
  NormalizedType,
  RelationKind,
  TableModel,
  UniqueKeyModel,
} from './introspect/model.js';
export { introspect } from './introspect/index.js';
export {
  ConexorError,
  ConfigurationError,
  IntrospectionError,
  InvalidArgumentsError,
  QueryError,
  UnsupportedDialectError,
  type ConexorErrorCode,
} from './errors.js';
export { OPERATORS, type Operator } from './catalog/filters.js';
export {
  KEY_PREFIX,
  StaticApiKeyStore,
  createApiKey,
  generateApiKey,
  hashSecret,
  parseApiKey,
  verifyApiKey,
  type ApiKeyRecord,
  type ApiKeyStore,
  type CreatedApiKey,
  type ManagedApiKeyStore,
  type NewApiKey,
  type SerializedApiKeyRecord,
  type StaticApiKey,
} from './auth/api-keys.js';
export type { AccessTokenClaims, OAuthOptions } from './auth/oauth.js';
export {
  DEFAULT_API_KEY_TABLE,
  KnexApiKeyStore,
  apiKeyMigration,
  createApiKeyTable,
  dropApiKeyTable,
  type KnexApiKeyStoreOptions,
} from './auth/knex-store.js';
export {
  LIMIT_DEFAULTS,
  createLimiter,
  type AcquireOptions,
  type Acquisition,
  type LimitOptions,
  type Limiter,
} from './limits/limits.js';
export { POOL_GUARD_DEFAULTS, createPoolGuard, type PoolGuard, type PoolGuardOptions } from './limits/pool-guard.js';
export * from './audit/index.js';
export type { AuditValues } from './audit/redact.js';
