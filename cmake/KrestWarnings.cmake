# Every krest target links krest_warnings, so the warning policy lives in one place.
add_library(krest_warnings INTERFACE)
target_compile_options(krest_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor)
if(KREST_WERROR)
  target_compile_options(krest_warnings INTERFACE -Werror)
endif()
# GCC 12 reports "literal" + std::string&& as an overlapping memcpy (GCC PR105651, fixed in 13).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(krest_warnings INTERFACE -Wno-restrict)
endif()
# GCC 12 also reports Asio's recycling allocator (detail/memory.hpp: aligned_new paired with
# aligned_delete) as a new/free mismatch once a coroutine frame's deallocation is inlined.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(krest_warnings INTERFACE -Wno-mismatched-new-delete)
endif()
