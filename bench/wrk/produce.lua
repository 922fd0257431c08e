-- Replays one produce body (bench/run_proxy_bench.sh writes it) on every request.
local f = assert(io.open(os.getenv("KREST_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
