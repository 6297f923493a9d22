"""The Lua scripts behind every multi-key change of :class:`~acd.state.RedisStateStore`.

Redis runs a script alone, so each is all-or-nothing to every reader.  ARGV[1] is always the
key prefix (see :func:`acd.state.keys.lua_prelude`); keys a script knows before it runs come
in KEYS, keys it discovers (a contact's line, a dead node's agents) it builds with the
prelude's functions.
"""

from __future__ import annotations

from acd.state.keys import lua_prelude
from acd.state.model import OFFERING_ACTIVITIES

_OFFERING = " or ".join(f'act == "{name}"' for name in sorted(OFFERING_ACTIVITIES))

# KEYS: agent; ARGV: prefix, presence, reason ("" for none).  0 if the agent is unknown.
SET_PRESENCE = """
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
redis.call("HSET", KEYS[1], "presence", ARGV[2])
if ARGV[3] == "" then redis.call("HDEL", KEYS[1], "reason")
else redis.call("HSET", KEYS[1], "reason", ARGV[3]) end
return 1
"""

# KEYS: agent; ARGV: prefix, activity, idle_since ("" for none).
SET_ACTIVITY = """
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
redis.call("HSET", KEYS[1], "activity", ARGV[2])
if ARGV[3] == "" then redis.call("HDEL", KEYS[1], "idle_since")
else redis.call("HSET", KEYS[1], "idle_since", ARGV[3]) end
return 1
"""

# KEYS: contact, waiting (its line), seq; ARGV: prefix, contact id, line code, priority,
# since, node id, score base (the priority's band).  The new seq, or -1 if already waiting.
ENQUEUE = """
if redis.call("EXISTS", KEYS[1]) == 1 then return -1 end
local seq = redis.call("INCR", KEYS[3])
redis.call("HSET", KEYS[1], "line_code", ARGV[3], "priority", ARGV[4], "since", ARGV[5],
    "node_id", ARGV[6], "seq", seq)
redis.call("ZADD", KEYS[2], tonumber(ARGV[7]) + seq, ARGV[2])
return seq
"""

_TAKE_BODY = """
local fields = redis.call("HGETALL", k_contact(id))
if #fields == 0 then return false end
local line = redis.call("HGET", k_contact(id), "line_code")
redis.call("ZREM", k_waiting(line), id)
redis.call("DEL", k_contact(id))
redis.call("ZREM", KEYS[1], id)
table.insert(fields, 1, id)
return fields
"""

# KEYS: steps; ARGV: prefix, contact id.  {id, field, value, ...} or nil.
TAKE = lua_prelude() + "local id = ARGV[2]\n" + _TAKE_BODY

# KEYS: steps, waiting; ARGV: prefix.  As TAKE for the head of the queue.
TAKE_NEXT = (
    lua_prelude()
    + """
local head = redis.call("ZRANGE", KEYS[2], 0, 0)
if #head == 0 then return false end
local id = head[1]
"""
    + _TAKE_BODY
)

# KEYS: contact, steps; ARGV: prefix, contact id, due.  0 if the contact is not waiting.
SET_STEP_DUE = """
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
return 1
"""

# KEYS: steps; ARGV: prefix, now.  The due contact ids, earliest first, now claimed.
TAKE_DUE_STEPS = """
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[2])
if #due > 0 then redis.call("ZREM", KEYS[1], unpack(due)) end
return due
"""

# KEYS: reserved (the agent's), node-reserved (the node's); ARGV: prefix, agent, contact,
# node.  The compare-and-set: 1 if reserved now (or already, for this contact by this node:
# a node restarted before its lease ran out takes its ringing offers up again), 0 if anyone
# else holds the agent.
RESERVE = """
local held = redis.call("HMGET", KEYS[1], "contact_id", "node_id")
if held[1] then
    if held[1] == ARGV[3] and held[2] == ARGV[4] then return 1 end
    return 0
end
redis.call("HSET", KEYS[1], "contact_id", ARGV[3], "node_id", ARGV[4])
redis.call("SADD", KEYS[2], ARGV[2])
return 1
"""

# KEYS: reserved; ARGV: prefix, agent, contact, node.  1 if that node held it for that contact.
RELEASE = (
    lua_prelude()
    + """
local held = redis.call("HMGET", KEYS[1], "contact_id", "node_id")
if held[1] ~= ARGV[3] or held[2] ~= ARGV[4] then return 0 end
redis.call("DEL", KEYS[1])
redis.call("SREM", k_node_reserved(held[2]), ARGV[2])
return 1
"""
)

# KEYS: nodes, node; ARGV: prefix, node id, now, calls, key ttl in ms, app.  1 if the node
# was not a member (it joins anew), else 0.
RENEW = """
local new = redis.call("ZSCORE", KEYS[1], ARGV[2]) == false
if redis.call("HEXISTS", KEYS[2], "started_at") == 0 then
    redis.call("HSET", KEYS[2], "started_at", ARGV[3])
end
redis.call("HSET", KEYS[2], "renewed_at", ARGV[3], "calls", ARGV[4], "app", ARGV[6] or "")
redis.call("PEXPIRE", KEYS[2], ARGV[5])
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[2])
if new then return 1 end
return 0
"""

# KEYS: nodes; ARGV: prefix.  {node, started_at, renewed_at, calls, reservations, ...}; a
# node whose hash expired (renewals stopped long ago) shows its last renewal for both times.
NODES = (
    lua_prelude()
    + """
local out = {}
local members = redis.call("ZRANGE", KEYS[1], 0, -1, "WITHSCORES")
for i = 1, #members, 2 do
    local n = members[i]
    local info = redis.call("HMGET", k_node(n), "started_at", "renewed_at", "calls", "app")
    table.insert(out, n)
    table.insert(out, info[1] or members[i + 1])
    table.insert(out, info[2] or members[i + 1])
    table.insert(out, info[3] or "0")
    table.insert(out, tostring(redis.call("SCARD", k_node_reserved(n))))
    table.insert(out, info[4] or "")
end
return out
"""
)

# KEYS: nodes; ARGV: prefix, now, cutoff, node id ("" for every node renewed before cutoff).
# Drops the nodes and releases their reservations; agents they left reserved or ringing go
# back to idle.  {node, {agent, ...}, ...}.
REAP = (
    lua_prelude()
    + """
local dead
if ARGV[4] ~= "" then dead = {ARGV[4]}
else dead = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. ARGV[3]) end
local out = {}
for _, n in ipairs(dead) do
    local agents = redis.call("SMEMBERS", k_node_reserved(n))
    table.sort(agents)
    local released = {}
    for _, a in ipairs(agents) do
        if redis.call("HGET", k_reserved(a), "node_id") == n then
            redis.call("DEL", k_reserved(a))
            table.insert(released, a)
            local act = redis.call("HGET", k_agent(a), "activity")
            if OFFERING then
                redis.call("HSET", k_agent(a), "activity", "idle", "idle_since", ARGV[2])
            end
        end
    end
    redis.call("DEL", k_node_reserved(n), k_node(n))
    redis.call("ZREM", KEYS[1], n)
    table.insert(out, n)
    table.insert(out, released)
end
return out
""".replace("OFFERING", _OFFERING)
)

# ---------------------------------------------------------------- the shared agent pool
# Each change to an agent's shared record and its entry in the agent feed are one script, so
# a node that loads the pool (SNAPSHOT) and then reads the feed after the snapshot's last entry
# misses no change and sees none twice.  Feed entries: agent, node, kind ("state": the
# changed fields follow as "f:<name>", value; "" clears a field; "released": the node let go
# of its reservation of the agent).

# KEYS: agents, agent, feed; ARGV: prefix, agent, node, max feed length, name, value, ...
# The feed entry's id.  A record not there yet starts logged out and idle, with no skills.
SHARE_AGENT = """
if redis.call("EXISTS", KEYS[2]) == 0 then
    redis.call("HSET", KEYS[2], "presence", "logged_out", "activity", "idle", "skills", "{}")
    redis.call("SADD", KEYS[1], ARGV[2])
end
local entry = {"agent", ARGV[2], "node", ARGV[3], "kind", "state"}
for i = 5, #ARGV, 2 do
    if ARGV[i + 1] == "" then redis.call("HDEL", KEYS[2], ARGV[i])
    else redis.call("HSET", KEYS[2], ARGV[i], ARGV[i + 1]) end
    table.insert(entry, "f:" .. ARGV[i])
    table.insert(entry, ARGV[i + 1])
end
return redis.call("XADD", KEYS[3], "MAXLEN", "~", ARGV[4], "*", unpack(entry))
"""

# KEYS: reserved, feed; ARGV: prefix, agent, contact, node, max feed length.  As RELEASE, and
# a released agent is announced in the feed (a node that lost a race for it offers it again).
RELEASE_ANNOUNCED = (
    lua_prelude()
    + """
local held = redis.call("HMGET", KEYS[1], "contact_id", "node_id")
if held[1] ~= ARGV[3] or held[2] ~= ARGV[4] then return 0 end
redis.call("DEL", KEYS[1])
redis.call("SREM", k_node_reserved(held[2]), ARGV[2])
redis.call("XADD", KEYS[2], "MAXLEN", "~", ARGV[5], "*",
    "agent", ARGV[2], "node", ARGV[4], "kind", "released")
return 1
"""
)

# KEYS: agents, feed; ARGV: prefix.  {last feed id ("0-0": none), agent, {name, value, ...}, ...}
SNAPSHOT = (
    lua_prelude()
    + """
local last = redis.call("XREVRANGE", KEYS[2], "+", "-", "COUNT", 1)
local out = {#last > 0 and last[1][1] or "0-0"}
local ids = redis.call("SMEMBERS", KEYS[1])
table.sort(ids)
for _, a in ipairs(ids) do
    local fields = redis.call("HGETALL", k_agent(a))
    if #fields > 0 then
        table.insert(out, a)
        table.insert(out, fields)
    end
end
return out
"""
)

# KEYS: feed; ARGV: prefix, node, max feed length, agent, ...  Each agent's whole record as a
# feed entry (after a reap changed records in a script that does not write the feed).
ANNOUNCE = (
    lua_prelude()
    + """
for i = 4, #ARGV do
    local fields = redis.call("HGETALL", k_agent(ARGV[i]))
    if #fields > 0 then
        local entry = {"agent", ARGV[i], "node", ARGV[2], "kind", "state"}
        for j = 1, #fields, 2 do
            table.insert(entry, "f:" .. fields[j])
            table.insert(entry, fields[j + 1])
        end
        redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[3], "*", unpack(entry))
    end
end
return 1
"""
)

# KEYS: node-reserved (the new node's), nodes; ARGV: prefix, old node, new node.  A standby took the
# old node's ARI application over (it holds the application's lease, so the old engine is gone
# or stopping): the old node's reservations become the new node's, for the same contacts, in
# one step, so no other node can reserve a ringing or talking agent in between; the old node
# leaves.  {agent, ...} handed over.
HAND_OVER = (
    lua_prelude()
    + """
local old, new = ARGV[2], ARGV[3]
local agents = redis.call("SMEMBERS", k_node_reserved(old))
table.sort(agents)
local moved = {}
for _, a in ipairs(agents) do
    if redis.call("HGET", k_reserved(a), "node_id") == old then
        redis.call("HSET", k_reserved(a), "node_id", new)
        redis.call("SADD", KEYS[1], a)
        table.insert(moved, a)
    end
end
redis.call("DEL", k_node_reserved(old), k_node(old))
redis.call("ZREM", KEYS[2], old)
return moved
"""
)

# KEYS: node-reserved (this node's); ARGV: prefix, node, agent1, contact1, agent2, ...: what
# this node holds now, from its own memory.  After a Redis restart (or a reap while this node
# could not renew) and after a take-over: each held agent is reserved again for its contact
# unless another node holds it (a conflict, returned); every other reservation of this node is
# released.  {released agents, conflicting agents}.
REASSERT = (
    lua_prelude()
    + """
local node = ARGV[2]
local held = {}
local conflicts = {}
for i = 3, #ARGV, 2 do
    local a, c = ARGV[i], ARGV[i + 1]
    held[a] = true
    local now = redis.call("HMGET", k_reserved(a), "contact_id", "node_id")
    if not now[1] then
        redis.call("HSET", k_reserved(a), "contact_id", c, "node_id", node)
        redis.call("SADD", KEYS[1], a)
    elseif now[2] == node then
        redis.call("HSET", k_reserved(a), "contact_id", c)
        redis.call("SADD", KEYS[1], a)
    else
        table.insert(conflicts, a)
    end
end
local released = {}
for _, a in ipairs(redis.call("SMEMBERS", KEYS[1])) do
    if not held[a] then
        if redis.call("HGET", k_reserved(a), "node_id") == node then
            redis.call("DEL", k_reserved(a))
        end
        redis.call("SREM", KEYS[1], a)
        table.insert(released, a)
    end
end
table.sort(released)
return {released, conflicts}
"""
)

# KEYS: nodes, desk-requests of the owner; ARGV: prefix, owner, now, lease (s), request,
# keep (ms).  Queues a desk request another node forwards only while the owner's lease holds
# (acd.state.desk_link); the owner's last renewal either way (false: not a member).
FORWARD_DESK = """
local renewed = redis.call("ZSCORE", KEYS[1], ARGV[2])
if not renewed then return false end
if tonumber(renewed) >= tonumber(ARGV[3]) - tonumber(ARGV[4]) then
    redis.call("RPUSH", KEYS[2], ARGV[5])
    redis.call("PEXPIRE", KEYS[2], ARGV[6])
    return {1, renewed}
end
return {0, renewed}
"""
