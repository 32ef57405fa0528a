/** The DNS message side of the authoritative server (no sockets). See README.md here. */
export {
  Responder,
  respondViaSlowPath,
  type ResponderOptions,
  type ResponderCounters,
  type Transport,
} from './responder.js';
export { Rcode, QType, MIN_UDP_SIZE, MAX_MESSAGE_SIZE } from './wire.js';
