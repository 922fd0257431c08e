# What `cmake --install` puts under a prefix for programs that use the engine: the public headers
# (include/krest), the engine's static libraries, a CMake package (find_package(krest CONFIG),
# target krest::engine) and a pkg-config file (krest.pc). Asio and Beast come compiled inside the
# engine (BOOST_ASIO_SEPARATE_COMPILATION is part of its interface): a program linking
# krest::engine must not compile them a second time.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(krest_libraries krest_engine krest_api krest_auth krest_metrics krest_coding krest_boost)
install(TARGETS ${krest_libraries} krest_warnings
        EXPORT krestTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY engine/include/krest DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/engine/generated/krest/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/krest COMPONENT dev)

set(krest_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/krest)
install(EXPORT krestTargets NAMESPACE krest:: DESTINATION ${krest_cmake_dir} COMPONENT dev)
configure_package_config_file(cmake/krestConfig.cmake.in ${PROJECT_BINARY_DIR}/krestConfig.cmake
                              INSTALL_DESTINATION ${krest_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/krestConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/krestConfig.cmake ${PROJECT_BINARY_DIR}/krestConfigVersion.cmake
        DESTINATION ${krest_cmake_dir} COMPONENT dev)

# pkg-config: the libraries in link order, then what they need (Boost has no .pc of its own).
set(krest_pc_libs "")
foreach(library ${krest_libraries})
  string(APPEND krest_pc_libs " -l${library}")
endforeach()
# Relocatable: the prefix is found from where krest.pc is, so `cmake --install --prefix P` works.
file(RELATIVE_PATH krest_pc_prefix "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
configure_file(cmake/krest.pc.in ${PROJECT_BINARY_DIR}/krest.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/krest.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
