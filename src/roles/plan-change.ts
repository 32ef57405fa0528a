// Moved to src/config/plan-change.ts. TODO: remove this shim once every importer uses ../config/plan-change.js.
export * from '../config/plan-change.js';
