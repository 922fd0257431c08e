# KREST_SANITIZE instruments every target (ours and the separately compiled Boost sources),
# because mixing instrumented and plain code hides container-overflow and ODR reports.
if(KREST_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
