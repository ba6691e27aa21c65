export type { Logger } from "pino";
export type { CoerceResult } from "./config/coerceValue.js";
export { coerceValue } from "./config/coerceValue.js";
export type { ConfigKey, ConfigKeysOptions, ConfigValueKind } from "./config/configKeys.js";
export { configKeys, toEnvSegment, toFlagSegment } from "./config/configKeys.js";
export type { LoadConfigOptions, LoadedConfig } from "./config/loadConfig.js";
export { formatIssue, loadConfig } from "./config/loadConfig.js";
export type {
  ConfigErrorCode,
  ConfigIssue,
  ConfigSource,
  HttpErrorCode,
  KeystoreErrorCode,
  LifecycleErrorCode,
  StoreErrorCode,
} from "./errors.js";
export { ConfigError, HttpError, KeystoreError, LifecycleError, StoreError } from "./errors.js";
export type { ErrorBody, ErrorResponse } from "./http/errorResponse.js";
export { errorResponse } from "./http/errorResponse.js";
export type {
  HttpMethod,
  HttpRequest,
  HttpServerDeps,
  HttpServerOptions,
  RouteHandler,
} from "./http/HttpServer.js";
export { defaultHttpServerOptions, HttpReply, HttpServer } from "./http/HttpServer.js";
export { httpMetricDefs } from "./http/httpMetrics.js";
export type { RoutePattern } from "./http/matchRoute.js";
export { compileRoute, matchRoute } from "./http/matchRoute.js";
export { readJsonBody } from "./http/readJsonBody.js";
export type { KeystoreOptions, PasswordSource } from "./keystore/keystoreFile.js";
export {
  createKeystore,
  defaultKeystoreOptions,
  loadKeystoreAccount,
  readKeystoreFile,
  readPassword,
  writeKeystoreFile,
} from "./keystore/keystoreFile.js";
export type {
  EncryptKeystoreOptions,
  KeystoreV3,
  Pbkdf2Params,
  ScryptParams,
} from "./keystore/keystoreV3.js";
export { decryptKeystore, encryptKeystore, parseKeystore } from "./keystore/keystoreV3.js";
export type {
  LifecycleDeps,
  LifecycleOptions,
  LifecycleState,
  SignalSource,
  StopResult,
} from "./lifecycle/Lifecycle.js";
export { defaultLifecycleOptions, Lifecycle } from "./lifecycle/Lifecycle.js";
export type { Module, Readiness, StatusSource } from "./lifecycle/Module.js";
export type { PeriodicRun, PeriodicTaskOptions } from "./lifecycle/PeriodicTask.js";
export { PeriodicTask } from "./lifecycle/PeriodicTask.js";
export type { LogFormat, LoggerDeps, LoggerOptions, LogLevel } from "./logger/createLogger.js";
export {
  createLogger,
  defaultLoggerOptions,
  redactPaths,
  SECRET_FIELD_NAMES,
} from "./logger/createLogger.js";
export type { HistogramSpec, MetricSpec, MetricsOptions } from "./metrics/Metrics.js";
export { defaultMetricsOptions, Metrics, SECONDS_BUCKETS } from "./metrics/Metrics.js";
export type {
  CatalogEntry,
  MetricCatalog,
  MetricDef,
  MetricGroup,
  MetricOf,
  MetricsOf,
  MetricType,
} from "./metrics/metricCatalog.js";
export { catalogEntries, defineMetrics, metricName } from "./metrics/metricCatalog.js";
export type { SchemaMigration } from "./store/migrateSchema.js";
export { migrateSchema, tableColumns } from "./store/migrateSchema.js";
