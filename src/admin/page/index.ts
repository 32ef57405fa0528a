export { addPage, AnswerBit, checkTarget, PAGE_PATHS } from './page-routes.js';
export { aggregatorPageSource, dnsPageSource, servePageSource, type PageSource } from './page-source.js';
export {
  encodeTable,
  hash32,
  TableField,
  TABLE_FIELD_COUNT,
  TABLE_FORMAT,
  TABLE_HEADER_BYTES,
  type TableHeader,
} from './table-frame.js';
