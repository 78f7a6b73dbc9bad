export type { IoRedisLike, NodeRedisLike, RedisClientLike, SendCommandLike } from './client.js';
export { RedisStore, type RedisStoreOptions, type StateEncoding } from './redis-store.js';
export { LIBRARY, type Library, SCRIPT, type Script } from './scripts.js';
