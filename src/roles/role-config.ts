// Moved to src/config/loop.ts (RoleConfig merged into ConfigLoop). TODO: remove this shim once every importer uses ../config/loop.js.
export { ConfigLoop as RoleConfig, short, type AppliedConfig, type ApplyHandler, type ConfigLoopOptions as RoleConfigOptions, type ConfigLoopStats as RoleConfigStats } from '../config/loop.js';
