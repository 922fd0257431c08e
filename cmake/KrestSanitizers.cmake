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

# KREST_TSAN: ThreadSanitizer for the parts that run on several threads (krest-proxy's io_context
# threads, its blocking pool and storage, the engine's token source and client). It cannot be
# combined with ASan; scripts/test.sh builds it in a second tree and runs the integration tests
# that start krest-proxy processes. librdkafka is not instrumented, so the Kafka backend is left
# to the ASan build (its atomics would be reported falsely).
if(KREST_TSAN)
  if(KREST_SANITIZE)
    message(FATAL_ERROR "KREST_TSAN and KREST_SANITIZE cannot be combined: use two build trees")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -O1 -g1 -Wno-maybe-uninitialized -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()
