export { describeLogShipper, type LogShipperSpec } from './log-shipper-suite.js';
export { testNetwork } from './network.js';
