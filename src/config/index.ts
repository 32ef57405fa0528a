/** The config document: schema, loading, compiling to a Plan. See README.md here. */
export * from './plan.js';
export {
  configDocumentSchema,
  validateConfig,
  type ConfigDocument,
  type ConfigDocumentInput,
  type ConfigCheck,
  type ConfigProbeCheck,
  type ConfigCalculatedCheck,
  type ConfigZone,
  type ConfigRecord,
  type ConfigAnswer,
} from './schema.js';
export { parseConfigText, loadConfigFile, loadConfig, isUrlSource, MAX_CONFIG_BYTES } from './load.js';
export {
  ConfigLoop,
  type ConfigLoopOptions,
  type ConfigLoopStats,
  type AppliedConfig,
  type ApplyHandler,
} from './loop.js';
export { validateConfigFile } from './validate-file.js';
export {
  parseZoneFile,
  ZONE_FILE_TYPES,
  type ZoneFileType,
  type ZoneFileOptions,
  type ZoneFileContent,
  type ZoneFileRecordSet,
  type ZoneFileSoa,
} from './zone-file.js';
export { compileConfig, encodePlan, decodePlan } from './compile.js';
