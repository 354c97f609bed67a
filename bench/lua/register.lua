-- POST /auth/register with a unique email per request.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local n, path, run_id = 0, nil, nil
local hdrs = { ["Content-Type"] = "application/json" }

function init(args)
  run_id = args[1]
  path = C.prefix() .. "/auth/register"
end

function request()
  n = n + 1
  return wrk.format("POST", path, hdrs, string.format(
    '{"email":"reg-%s-t%d-%d@bench.example.com","password":"BenchPass123!","name":"bench user"}',
    run_id, tid, n))
end

function response(status) C.count(status) end
