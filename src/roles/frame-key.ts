// Moved to src/config/frame-key.ts. TODO: remove this shim once every importer uses ../config/frame-key.js.
export * from '../config/frame-key.js';
