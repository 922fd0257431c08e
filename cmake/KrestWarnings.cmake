# Every krest target links krest_warnings, so the warning policy lives in one place.
add_library(krest_warnings INTERFACE)
target_compile_options(krest_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor)
if(KREST_WERROR)
  target_compile_options(krest_warnings INTERFACE -Werror)
endif()
