# Debian packages of krest (CPack): `cpack -G DEB` in a build tree makes
#   krest        the CLI, its man page, and the krest-tail@.service template unit
#   krest-proxy  the server, its man page, a hardened krest-proxy.service and example configs
#   krest-dev    the engine: headers, static libraries, the CMake package and krest.pc
# Man pages are generated from the programs' own --help by help2man, so they cannot drift.
include(GNUInstallDirs)

install(TARGETS krest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
install(TARGETS krest-proxy RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT proxy)
install(FILES packaging/systemd/krest-tail@.service DESTINATION lib/systemd/system COMPONENT cli)
install(FILES packaging/systemd/krest-proxy.service DESTINATION lib/systemd/system COMPONENT proxy)
install(FILES configs/proxy-local.json configs/proxy-entra.json configs/proxy-kafka.json
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/krest-proxy/examples COMPONENT proxy OPTIONAL)
install(FILES configs/krest-local.json configs/krest-hdinsight.json
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/krest/examples COMPONENT cli OPTIONAL)

find_program(HELP2MAN help2man)
if(HELP2MAN)
  foreach(program krest krest-proxy)
    if(program STREQUAL "krest")
      set(summary "move data in and out of Kafka through an HDInsight-compatible Kafka REST proxy")
      set(component cli)
    else()
      set(summary "a Kafka REST proxy speaking the HDInsight Kafka REST Proxy API v1")
      set(component proxy)
    endif()
    add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/man/${program}.1
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
                       COMMAND ${HELP2MAN} --no-info --no-discard-stderr --name=${summary}
                               --output=${PROJECT_BINARY_DIR}/man/${program}.1 $<TARGET_FILE:${program}>
                       DEPENDS ${program}
                       COMMENT "man page of ${program} from its --help")
    add_custom_target(${program}-man ALL DEPENDS ${PROJECT_BINARY_DIR}/man/${program}.1)
    install(FILES ${PROJECT_BINARY_DIR}/man/${program}.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
            COMPONENT ${component})
  endforeach()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME krest)
set(CPACK_PACKAGE_VENDOR "krest")
set(CPACK_PACKAGE_CONTACT "krest maintainers <krest@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Kafka over HTTPS through Kafka REST proxies (HDInsight API v1)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli proxy dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CLI_PACKAGE_NAME krest)
set(CPACK_DEBIAN_PROXY_PACKAGE_NAME krest-proxy)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME krest-dev)
set(CPACK_COMPONENT_CLI_DESCRIPTION "krest: load files into Kafka topics and tail them back over HTTPS")
set(CPACK_COMPONENT_PROXY_DESCRIPTION "krest-proxy: a Kafka REST proxy (HDInsight API v1) on an embedded log or Kafka")
set(CPACK_COMPONENT_DEV_DESCRIPTION "krest engine: C++20 client library, headers and CMake package")
# krest-proxy.service reloads with procps's kill (ExecReload); shlibdeps adds the libraries.
set(CPACK_DEBIAN_PROXY_PACKAGE_DEPENDS "procps")
# The -dev package's static libraries need Boost 1.81's headers and libraries to link against.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libssl-dev, zlib1g-dev, libzstd-dev")
include(CPack)
