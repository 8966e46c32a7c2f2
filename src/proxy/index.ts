export { startProxy, type Log } from './server.js';
export { DEFAULT_PROXY_CONFIG, type ProxyConfig, type RunningProxy } from './config.js';
export { tuneGcForProxyProcess } from './gc-tuning.js';
