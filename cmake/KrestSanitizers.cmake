# KREST_SANITIZE instruments every target (ours and the separately compiled Boost sources),
# because mixing instrumented and plain code hides container-overflow and ODR reports.
# -O1 is what the ASan documentation recommends, and -g1 (line tables) is enough for stack traces
# while keeping Beast's template-heavy sources quick to build on a 2-core CI machine.
# GCC documents -Wmaybe-uninitialized as unreliable under -fsanitize (it reports libstdc++'s own
# std::function and regex internals), so it is off in this configuration only.
if(KREST_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -O1 -g1 -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=address,undefined)
endif()
