/** DNS messages: query in, reply out, no sockets (those are in ../serving). See README.md here. */
export {
  Responder,
  respondViaSlowPath,
  type ResponderOptions,
  type ResponderCounters,
  type Transport,
} from './responder.js';
export { Rcode, QType, MIN_UDP_SIZE, MAX_MESSAGE_SIZE } from './wire.js';
