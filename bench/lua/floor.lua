-- GET /floor on bench/floor_app.py: the framework floor.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local C = require("common")
setup, done = C.setup, C.done
local req

function init(args)
  req = wrk.format("GET", C.prefix() .. "/floor")
end

function request() return req end

function response(status) C.count(status) end
