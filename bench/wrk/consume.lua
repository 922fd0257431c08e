-- Reads count=500 windows at random offsets of a prefilled partition, so every request returns
-- 500 different records rather than the same response again.
local windows = tonumber(os.getenv("KREST_BENCH_WINDOWS"))
local path = os.getenv("KREST_BENCH_PATH")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", path .. (math.random(0, windows - 1) * 500) .. "?count=500")
end
