/** The OpenAI-compatible gateway (docs/gateway.md). */
export { buildGateway, startGateway, type GatewayOptions, type RunningGateway } from './server';
export {
  parseApiTokens,
  resolveGatewayAuth,
  GatewayConfigError,
  type GatewayAuth,
  type Caller,
} from './auth';
export { GatewayError } from './errors';
