export type { AuditEvent, AuditOutcome, AuditSink } from './event.js';
export {
  AUDIT_DEFAULTS,
  AuditFailedError,
  createAuditor,
  type AuditOptions,
  type AuditStats,
  type Auditor,
} from './auditor.js';
export {
  AUDIT_REDACT_PATHS,
  AuditSinkError,
  DEFAULT_AUDIT_TABLE,
  auditMigration,
  createAuditTable,
  dropAuditTable,
  functionSink,
  knexSink,
  pinoSink,
  type KnexSinkOptions,
  type PinoSinkOptions,
} from './sinks.js';
export { countAuditEvents, readAuditTrail, type AuditTrailFilter, type AuditTrailQuery } from './trail.js';
