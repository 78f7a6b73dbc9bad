export type { IoRedisLike, NodeRedisLike, RedisClientLike, SendCommandLike } from './client.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { SCRIPTS, type Script } from './scripts.js';
