-- POST /auth/refresh. Refresh tokens work once, so each thread keeps a queue
-- of live tokens: the answer's new token goes back into the queue.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local queue, head, tail, path, hdrs

function init(args)
  local rows = C.read_tsv(args[1])
  local nthreads = tonumber(args[2])
  path = C.prefix() .. "/auth/refresh"
  hdrs = { ["Content-Type"] = "application/json" }
  queue, head, tail = {}, 1, 0
  for k, r in ipairs(rows) do
    if (k % nthreads) == (tid % nthreads) then
      tail = tail + 1
      queue[tail] = r[5]
    end
  end
end

function request()
  assert(head <= tail, "no live refresh token left in this thread")
  local token = queue[head]
  queue[head] = nil
  head = head + 1
  return wrk.format("POST", path, hdrs, string.format('{"refreshToken":"%s"}', token))
end

function response(status, headers, body)
  C.count(status)
  local token = body and body:match('"refreshToken":%s*"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
end
