/**
 * Baseline 2's atomic steps, as Redis Lua scripts: claim idle matching agents for a task, accept
 * (first accept wins, the other offered agents go back to idle), reject, expire an offer, complete
 * a task, and an agent's login and logout. Each runs as one EVALSHA, so the router never races
 * with itself or with a second router process.
 *
 * Data: `agent:<id>` hash {queues, status, task}; `idle:<queue>` sorted set of idle agents by idle
 * time (longest idle first); `task:<id>` hash {status, offered, winner}.
 */
import type { Redis } from 'ioredis';

const RELEASE = `
local function release(id, now)
  local queues = redis.call('HGET', 'agent:' .. id, 'queues')
  if not queues or redis.call('HGET', 'agent:' .. id, 'status') == 'offline' then return end
  redis.call('HSET', 'agent:' .. id, 'status', 'idle', 'task', '')
  for q in string.gmatch(queues, '[^,]+') do redis.call('ZADD', 'idle:' .. q, now, id) end
end
`;

/** KEYS[1] idle set of the queue; ARGV taskId, count, now. Returns the claimed agent ids. */
const CLAIM = `
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[2])
if #popped == 0 then return {} end
local ids = {}
for i = 1, #popped, 2 do
  local id = popped[i]
  ids[#ids + 1] = id
  local queues = redis.call('HGET', 'agent:' .. id, 'queues') or ''
  for q in string.gmatch(queues, '[^,]+') do
    if 'idle:' .. q ~= KEYS[1] then redis.call('ZREM', 'idle:' .. q, id) end
  end
  redis.call('HSET', 'agent:' .. id, 'status', 'reserved', 'task', ARGV[1])
end
redis.call('HSET', 'task:' .. ARGV[1], 'status', 'reserved', 'offered', table.concat(ids, ','))
return ids
`;

/** ARGV taskId, agentId, now. Returns the other offered agents (to rescind), or false when too late. */
const ACCEPT = `${RELEASE}
local t = 'task:' .. ARGV[1]
if redis.call('HGET', t, 'status') ~= 'reserved' then return false end
local offered = redis.call('HGET', t, 'offered') or ''
local others, mine = {}, false
for id in string.gmatch(offered, '[^,]+') do
  if id == ARGV[2] then mine = true else others[#others + 1] = id end
end
if not mine then return false end
redis.call('HSET', t, 'status', 'assigned', 'winner', ARGV[2], 'offered', '')
redis.call('HSET', 'agent:' .. ARGV[2], 'status', 'busy')
for _, id in ipairs(others) do release(id, ARGV[3]) end
return others
`;

/** ARGV taskId, agentId, now. Returns 1 when no offer is left and the task must be queued again, 0 otherwise, false when too late. */
const REJECT = `${RELEASE}
local t = 'task:' .. ARGV[1]
if redis.call('HGET', t, 'status') ~= 'reserved' then return false end
local left, mine = {}, false
for id in string.gmatch(redis.call('HGET', t, 'offered') or '', '[^,]+') do
  if id == ARGV[2] then mine = true else left[#left + 1] = id end
end
if not mine then return false end
release(ARGV[2], ARGV[3])
if #left > 0 then
  redis.call('HSET', t, 'offered', table.concat(left, ','))
  return 0
end
redis.call('HSET', t, 'status', 'pending', 'offered', '')
return 1
`;

/** ARGV taskId, now. Returns the agents whose offers timed out (the task must be queued again), or false. */
const EXPIRE = `${RELEASE}
local t = 'task:' .. ARGV[1]
if redis.call('HGET', t, 'status') ~= 'reserved' then return false end
local ids = {}
for id in string.gmatch(redis.call('HGET', t, 'offered') or '', '[^,]+') do
  ids[#ids + 1] = id
  release(id, ARGV[2])
end
redis.call('HSET', t, 'status', 'pending', 'offered', '')
return ids
`;

/** ARGV taskId, agentId, now. Returns 1, or false when the agent does not hold the task. */
const COMPLETE = `${RELEASE}
local t = 'task:' .. ARGV[1]
if redis.call('HGET', t, 'winner') ~= ARGV[2] or redis.call('HGET', t, 'status') ~= 'assigned' then return false end
redis.call('HSET', t, 'status', 'completed')
redis.call('EXPIRE', t, 3600)
release(ARGV[2], ARGV[3])
return 1
`;

/** ARGV agentId, comma list of queues, now: the agent is online and idle. */
const LOGIN = `${RELEASE}
redis.call('HSET', 'agent:' .. ARGV[1], 'queues', ARGV[2], 'status', 'idle', 'task', '')
release(ARGV[1], ARGV[3])
return 1
`;

/** ARGV agentId: the agent is offline and out of every idle set. */
const LOGOUT = `
local queues = redis.call('HGET', 'agent:' .. ARGV[1], 'queues') or ''
redis.call('HSET', 'agent:' .. ARGV[1], 'status', 'offline')
for q in string.gmatch(queues, '[^,]+') do redis.call('ZREM', 'idle:' .. q, ARGV[1]) end
return 1
`;

/** The scripts as typed calls on one ioredis connection. */
export interface RouterScripts {
  claim(queue: string, taskId: string, count: number, now: number): Promise<string[]>;
  accept(taskId: string, agentId: string, now: number): Promise<string[] | null>;
  reject(taskId: string, agentId: string, now: number): Promise<0 | 1 | null>;
  expire(taskId: string, now: number): Promise<string[] | null>;
  complete(taskId: string, agentId: string, now: number): Promise<1 | null>;
  login(agentId: string, queues: string[], now: number): Promise<unknown>;
  logout(agentId: string): Promise<unknown>;
}

type Scripted = Redis & Record<string, (...args: Array<string | number>) => Promise<unknown>>;

/** Registers the scripts on `redis` (EVALSHA with a one-time load). */
export function routerScripts(redis: Redis): RouterScripts {
  const defs: Array<[string, string, number]> = [
    ['sbClaim', CLAIM, 1],
    ['sbAccept', ACCEPT, 0],
    ['sbReject', REJECT, 0],
    ['sbExpire', EXPIRE, 0],
    ['sbComplete', COMPLETE, 0],
    ['sbLogin', LOGIN, 0],
    ['sbLogout', LOGOUT, 0],
  ];
  for (const [name, lua, numberOfKeys] of defs) redis.defineCommand(name, { lua, numberOfKeys });
  const r = redis as Scripted;
  return {
    claim: (queue, taskId, count, now) => r.sbClaim!(`idle:${queue}`, taskId, count, now) as Promise<string[]>,
    accept: (taskId, agentId, now) => r.sbAccept!(taskId, agentId, now) as Promise<string[] | null>,
    reject: (taskId, agentId, now) => r.sbReject!(taskId, agentId, now) as Promise<0 | 1 | null>,
    expire: (taskId, now) => r.sbExpire!(taskId, now) as Promise<string[] | null>,
    complete: (taskId, agentId, now) => r.sbComplete!(taskId, agentId, now) as Promise<1 | null>,
    login: (agentId, queues, now) => r.sbLogin!(agentId, queues.join(','), now),
    logout: (agentId) => r.sbLogout!(agentId),
  };
}
