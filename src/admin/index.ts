export {
  Admin,
  ADMIN_DEFAULT_PORTS,
  parseAdminListen,
  type AdminRole,
  type AdminSource,
  type Readiness,
} from './admin.js';
export { AdminServer, json, text, type AdminHandler, type AdminRequest, type AdminResponse } from './admin-server.js';
export { serveSource } from './serve-source.js';
export { checkerSource, aggregatorSource, dnsSource, DNS_READY_TICKS } from './role-sources.js';
export { cellStatus, type CheckStatus, type RecordSetStatus } from './status-document.js';
export { DEFAULT_CHECK_SERIES_LIMIT } from './admin-address.js';
